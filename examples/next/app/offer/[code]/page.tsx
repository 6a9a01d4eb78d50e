/**
 * A static page with an experiment: built at build time once per combination of its flags'
 * values (generateStaticParams), never per request. The proxy decides the visitor's values and
 * rewrites /offer to /offer/<code>; this page reads them from the code (signed: a made-up code is
 * a 404), uses them itself (the headline) and hands them to the same provider, so client
 * components' hooks and <Flag> read them too (the button). The HTML holds nothing of the visitor
 * but the code.
 */
import { notFound } from 'next/navigation';
import { offerFlags, splitflap } from '../../../lib/splitflap';
import { BuyButton } from '../../buy-button';
import { Providers } from '../../providers';

export async function generateStaticParams() {
  return (await splitflap.generatePermutations(offerFlags)).map((code) => ({ code }));
}

/**
 * The values a code carries, verified. Cached ('use cache'): checking the signature is async
 * work, which Next would otherwise leave to request time instead of building the page.
 */
async function offerValues(code: string) {
  'use cache';
  const values = await splitflap.readFlags(code, offerFlags);
  return values && { ...values };
}

export default async function Offer({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  const values = await offerValues(code);
  if (!values) notFound(); // the proxy answers 404 first; this is for requests that bypass it
  return (
    <Providers snapshot={splitflap.precomputedSnapshot(values)}>
      <main className="product">
        {values['bold-headline'] === true ? (
          <h1 data-testid="offer-headline" data-variant="bold">Never miss a departure again</h1>
        ) : (
          <h1 data-testid="offer-headline" data-variant="classic">The Splitflap wall clock</h1>
        )}
        <p>This week only: € 199, built once for every visitor who gets the same variants.</p>
        <BuyButton testId="buy" />
      </main>
    </Providers>
  );
}
