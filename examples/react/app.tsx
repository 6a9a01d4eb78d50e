/**
 * The example app: a flag, a local A/B test (inline and from the payload), a Sixpack experiment
 * with a convert button, and a country switch that shows only the affected parts re-rendering.
 * Everything here runs on the server (SSR) and in the browser.
 */
import { useState } from 'react';
import { Flag, useClient, useConvert, useExperiment, useFeatureValue, useParticipate } from '../../react/index';
import { SIGNUP } from './features';

function Headline() {
  return (
    <Flag name="new-headline" fallback={<h1>Experiments for everyone</h1>}>
      <h1>Ship experiments without the flicker</h1>
    </Flag>
  );
}

function Pricing() {
  // An inline local experiment: no payload needed, written in place.
  const copy = useExperiment({ key: 'pricing-copy', variations: ['Save time', 'Save money'] });
  // An experiment from the payload: its value is the button color.
  const color = useFeatureValue('button-color', 'grey');
  return (
    <section>
      <h2>Local A/B test</h2>
      <p data-testid="pricing-copy">{copy.value}</p>
      <button className={`color-${color}`} style={{ background: color, color: 'white' }}>
        Buy ({color})
      </button>
    </section>
  );
}

function Signup() {
  const { alternative, ready, source } = useParticipate(SIGNUP.experiment, SIGNUP.alternatives);
  const convert = useConvert();
  const [status, setStatus] = useState<string>();
  return (
    <section>
      <h2>Sixpack experiment</h2>
      <button
        data-testid="signup"
        onClick={async () => setStatus((await convert(SIGNUP.experiment)).status)}
      >
        {alternative === 'join-now' ? 'Join now' : 'Start free'}
      </button>
      <p>
        <small>
          {SIGNUP.experiment}: {alternative} ({ready ? source : 'asking the server…'})
          {status && ` · conversion ${status}`}
        </small>
      </p>
    </section>
  );
}

function Visitor() {
  const client = useClient();
  const [country, setCountry] = useState(() => String(client.getAttributes().country ?? 'US'));
  const choose = (next: string) => {
    setCountry(next);
    client.setAttributes({ ...client.getAttributes(), country: next });
  };
  return (
    <section>
      <h2>Visitor</h2>
      <p>
        <small>id {client.clientId}</small>
      </p>
      {['US', 'NL'].map((c) => (
        <label key={c}>
          <input type="radio" name="country" checked={country === c} onChange={() => choose(c)} /> {c}
        </label>
      ))}
    </section>
  );
}

export function App() {
  return (
    <main>
      <Headline />
      <Pricing />
      <Signup />
      <Visitor />
    </main>
  );
}
