/**
 * The page, a server component: it reads a flag itself (the headline), renders client components
 * that read another (the buy buttons), and streams a slow part in through <Suspense>. It renders
 * inside the shop layout's <Suspense>, so it may read the request's client at its top.
 */
import { Suspense } from 'react';
import { splitflap } from '../../lib/splitflap';
import { BuyButton } from '../buy-button';
import { Delivery } from '../delivery';

export default async function Page() {
  const client = await splitflap.getClient();
  const visitor = await splitflap.getVisitor();
  const bold = client.isOn('bold-headline');
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
            <Delivery />
          </Suspense>
        </div>
      </main>
      <aside className="explain">
        <h2>What this page shows</h2>
        <ul>
          <li>
            <code>proxy.ts</code> gives a new visitor the <code>sixpack_client_id</code> cookie and forwards the same id to this very render:
            the first view and every reload show the same variants.
          </li>
          <li>
            The headline is decided in a server component (<code>await splitflap.getClient()</code>, one client per request shared with the
            layout through React <code>cache()</code>).
          </li>
          <li>
            The buttons are client components (<code>useFeature(&apos;button-color&apos;)</code>): server-rendered from the snapshot the layout
            passes to <code>&lt;SplitflapProvider options=&#123;&#123; hydrate &#125;&#125;&gt;</code>, then hydrated with the same color, so nothing flickers.
          </li>
          <li>The second button is streamed in after the page, inside <code>&lt;Suspense&gt;</code>.</li>
          <li>
            The app has Cache Components on (<code>cacheComponents: true</code>, as <code>create-next-app</code> sets up): the static shell
            is the layout&apos;s <code>&lt;html&gt;</code> and a loading line, and everything that depends on the visitor streams in inside
            the layout&apos;s <code>&lt;Suspense&gt;</code>. Prefetches and prerenders make no client, so each page view exposes the visitor
            once.
          </li>
          <li>
            Crawlers (and headless browsers) get the control on the server and in the browser, and record no exposure.{' '}
            <a href="/api/flags">/api/flags</a> is a route handler on <code>splitflap/server</code> alone, giving the same answer as JSON.
          </li>
        </ul>
        <p className="visitor" data-testid="visitor-id" data-visitor={visitor.clientId}>
          Visitor: {visitor.clientId}
          {visitor.isBot ? ' (a bot: control)' : ''}
        </p>
      </aside>
    </>
  );
}
