/**
 * A server component that waits for slow data, so Next streams it in after the shell (inside
 * the page's <Suspense>), with a client component inside it: hooks work in streamed boundaries.
 */
import { BuyButton } from './buy-button';

export async function Delivery() {
  await new Promise((resolve) => setTimeout(resolve, 150)); // a slow stock lookup
  return (
    <section className="delivery" data-testid="delivery">
      <p>In stock: ships tomorrow. Or buy it here, streamed in after the page:</p>
      <BuyButton testId="streamed-buy" />
    </section>
  );
}
