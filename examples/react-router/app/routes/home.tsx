/**
 * The page: its loader decides the headline on the server (the request's client, from the
 * middleware), a component reads the button color with a hook, and a slow part is streamed in
 * through <Suspense> and <Await> with a hook inside.
 */
import { Suspense } from 'react';
import { Await, useLoaderData, useRouteLoaderData } from 'react-router';
import { BuyButton } from '../buy-button';
import { splitflapContext } from '../splitflap';
import type { Route } from './+types/home';
import type { loader as rootLoader } from '../root';

export function loader({ context }: Route.LoaderArgs) {
  const { client } = context.get(splitflapContext);
  return {
    bold: client.isOn('bold-headline'),
    // Not awaited: React Router streams it in after the page.
    stock: new Promise<string>((resolve) => setTimeout(() => resolve('In stock: ships tomorrow.'), 150)),
  };
}

export default function Home() {
  const { bold, stock } = useLoaderData<typeof loader>();
  const { visitor } = useRouteLoaderData<typeof rootLoader>('root')!;
  return (
    <>
      <main className="product">
        <div className="photo" aria-hidden="true">
          <span>12</span>
          <span>:</span>
          <span>45</span>
        </div>
        <div className="details">
          <h1 data-testid="headline" data-variant={bold ? 'bold' : 'classic'}>
            {bold ? 'Never miss a departure again' : 'The Splitflap wall clock'}
          </h1>
          <p>A mechanical split-flap display for your hallway: 48 flaps per digit, a soft clack on the minute.</p>
          <p className="price">€ 249</p>
          <BuyButton testId="buy" />
          <Suspense fallback={<p className="delivery">Checking stock…</p>}>
            <Await resolve={stock}>
              {(text) => (
                <section className="delivery" data-testid="delivery">
                  <p>{text} Or buy it here, streamed in after the page:</p>
                  <BuyButton testId="streamed-buy" />
                </section>
              )}
            </Await>
          </Suspense>
        </div>
      </main>
      <aside className="explain">
        <h2>What this page shows</h2>
        <ul>
          <li>
            The root route&apos;s middleware (<code>app/splitflap.ts</code>) makes one client per request with{' '}
            <code>createRequestClient(request)</code>: the visitor&apos;s id from the <code>sixpack_client_id</code> cookie, or a new one sent back
            with this response.
          </li>
          <li>The headline is decided in this route&apos;s loader, on the server.</li>
          <li>
            The buttons read <code>useFeature(&apos;button-color&apos;)</code>: server-rendered, then hydrated from the snapshot the root loader
            returns, with the same color.
          </li>
          <li>The second button is streamed in after the page (a deferred loader value, <code>&lt;Await&gt;</code>).</li>
          <li>
            Crawlers get the control on the server and in the browser. <a href="/api/flags">/api/flags</a> is a resource route giving the same
            answer as JSON.
          </li>
        </ul>
        <p className="visitor" data-testid="visitor-id" data-visitor={visitor.id}>
          Visitor: {visitor.id}
          {visitor.bot ? ' (a bot: control)' : ''}
        </p>
      </aside>
    </>
  );
}
