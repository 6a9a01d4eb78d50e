/**
 * The browser entry (bundled into app.js by build.ts). With a server snapshot in the page it
 * hydrates the server's markup (no wait, no flicker); without one (the client-only index.html)
 * it renders after the client is ready, at most 500 ms, so a returning visitor never sees a
 * variant flip.
 */
import { createRoot, hydrateRoot } from 'react-dom/client';
import { SplitflapProvider, SplitflapReady, type ClientOptions } from 'splitflap/react';
import { sixpack } from 'splitflap/sixpack';
import { App } from './app';
import { features } from './features';
import type { PageData } from './page';

const data = JSON.parse(document.getElementById('splitflap-data')?.textContent || '{}') as PageData;
const root = document.getElementById('root')!;
const options: ClientOptions = {
  features,
  hydrate: data.snapshot,
  plugins: [sixpack({ baseUrl: new URL(data.sixpackUrl || '/sixpack', location.href).href })],
  onExposure: (experiment, result) => console.info('[splitflap] exposure', experiment.key, result.key),
};

if (data.snapshot) {
  hydrateRoot(
    root,
    <SplitflapProvider options={options}>
      <App />
    </SplitflapProvider>,
  );
} else {
  createRoot(root).render(
    <SplitflapProvider options={options}>
      <SplitflapReady fallback={<p>Loading…</p>} timeout={500}>
        <App />
      </SplitflapReady>
    </SplitflapProvider>,
  );
}
