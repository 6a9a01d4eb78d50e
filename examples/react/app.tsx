/**
 * The example app, the plain page's shop in React: a flag (the headline), a local A/B test inline
 * (the tagline) and from the payload (the buy button's color), a Sixpack experiment with a
 * convert button (the alerts sign-up), and a country switch that shows only the affected parts
 * re-rendering. Everything here runs on the server (SSR) and in the browser; the page's styles
 * are in page.ts.
 */
import { useState } from 'react';
import { Flag, useClient, useExperiment, useFeatureValue } from 'splitflap/react';
import { useConvert, useParticipate } from 'splitflap/sixpack/react';
import { SIGNUP } from './features';

function Headline() {
  return (
    <Flag name="new-headline" fallback={<h1 data-testid="headline">The Splitflap wall clock</h1>}>
      <h1 data-testid="headline">Never miss a departure again</h1>
    </Flag>
  );
}

function Buy() {
  // An inline local experiment: no payload needed, written in place.
  const copy = useExperiment({ key: 'pricing-copy', variations: ['Save time', 'Save money'] });
  // An experiment from the payload: its value is the button color.
  const color = useFeatureValue('button-color', 'grey');
  return (
    <>
      <p className="tagline" data-testid="pricing-copy">
        {copy.value === 'Save money' ? 'Save money: no batteries, no subscription.' : 'Save time: the next train at a glance.'}
      </p>
      <p className="price">€ 249</p>
      <button type="button" className={`buy ${color}`} data-testid="buy" data-color={color}>
        Add to basket <small>({color})</small>
      </button>
    </>
  );
}

function Signup() {
  const { alternative, ready, source } = useParticipate(SIGNUP.experiment, SIGNUP.alternatives);
  const convert = useConvert();
  const [status, setStatus] = useState<string>();
  return (
    <div className="signup">
      <p>Departure alerts by e-mail, once a week.</p>
      <button type="button" className="secondary" data-testid="signup" onClick={async () => setStatus((await convert(SIGNUP.experiment)).status)}>
        {alternative === 'join-now' ? 'Join now' : 'Start free'}
      </button>
      <small>
        {' '}
        {SIGNUP.experiment}: {alternative} ({ready ? source : 'asking the server…'})
        {status && ` · conversion ${status}`}
      </small>
    </div>
  );
}

function Visitor() {
  const client = useClient();
  const [country, setCountry] = useState(() => String(client.getAttributes().country ?? 'US'));
  // The server's bot decision travels in the snapshot: a crawler sees the control on both sides.
  const [bot] = useState(() => client.getSnapshotForHydration({ features: false }).enabled === false);
  const choose = (next: string) => {
    setCountry(next);
    client.setAttributes({ ...client.getAttributes(), country: next });
  };
  return (
    <div className="visitor">
      Visitor: {client.clientId}
      {bot ? ' (a bot: control)' : ''} · country{' '}
      {['US', 'NL'].map((c) => (
        <label key={c}>
          <input type="radio" name="country" checked={country === c} onChange={() => choose(c)} /> {c}
        </label>
      ))}
    </div>
  );
}

export function App() {
  return (
    <>
      <main className="product">
        <div className="photo" aria-hidden="true">
          <span>12</span>
          <span>:</span>
          <span>45</span>
        </div>
        <div className="details">
          <Headline />
          <p>A mechanical split-flap display for your hallway: 48 flaps per digit, a soft clack on the minute.</p>
          <Buy />
          <Signup />
        </div>
      </main>
      <aside className="explain">
        <h2>What this page shows</h2>
        <ul>
          <li>
            The page is rendered on the server (<code>examples/react/server.tsx</code>, <code>react-dom/server</code>) with one client per
            request: the visitor&apos;s id from the <code>sixpack_client_id</code> cookie, or a new one sent back with the page. The
            browser hydrates it from the client&apos;s snapshot (<code>&lt;SplitflapProvider options=&#123;&#123; hydrate &#125;&#125;&gt;</code>), so the
            first paint is already the visitor&apos;s variant: no loading state, no flicker.
          </li>
          <li>
            <code>&lt;Flag name=&quot;new-headline&quot;&gt;</code>: a flag from the payload, on for visitors in NL and for half of everyone
            else.
          </li>
          <li>
            <code>useExperiment(&#123; key: &apos;pricing-copy&apos;, … &#125;)</code>: an inline A/B test, no payload needed.
          </li>
          <li>
            <code>useFeatureValue(&apos;button-color&apos;, &apos;grey&apos;)</code>: an A/B/C test in the payload, sticky in IndexedDB.
          </li>
          <li>
            <code>useParticipate(&apos;signup-copy&apos;, …)</code>: Sixpack mode. The server asked the Sixpack server before rendering, so
            the page carries the answer; <code>useConvert()</code> counts a click as a conversion.
          </li>
          <li>
            Switch the country: <code>client.setAttributes()</code> re-renders only the parts whose result changes (the headline, in NL).
          </li>
          <li>
            Crawlers and headless browsers get the control of every experiment (flags still apply), on the server and in the browser, and record no exposure. Exposures
            are logged in the browser console.
          </li>
        </ul>
        <Visitor />
      </aside>
    </>
  );
}
