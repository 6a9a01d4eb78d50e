// @vitest-environment jsdom
/**
 * SSR and hydration: the server renders with a client per request and hands the browser
 * `getSnapshotForHydration()` (through JSON, as a page would); the browser hydrates with
 * `createClient({ hydrate })` and renders the same markup: no hydration warning, no recoverable
 * error, no flicker. Exposures are reported in the browser, once, and never on the server.
 */
// A browser has IndexedDB (the default sticky store); jsdom has none.
import 'fake-indexeddb/auto';
import { act, cleanup } from '@testing-library/react';
import { PassThrough } from 'node:stream';
import { StrictMode } from 'react';
import { hydrateRoot, type Root } from 'react-dom/client';
import { renderToPipeableStream, renderToString } from 'react-dom/server';
import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { createClient, type ClientOptions, type Experiment, type HydrationSnapshot, type Plugin } from '../../src/index';
import { memoryQueue, sixpack as sixpackPlugin, type SixpackMethods } from '../../src/plugins/sixpack';
import { memoryStickyBucketStore } from '../../src/sticky';
import {
  Flag,
  SplitflapProvider,
  SplitflapReady,
  useExperiment,
  useFeature,
  useFeatureValue,
  useClient,
  Variant,
  type Client,
} from '../../react/index';
import { useParticipate } from '../../react/sixpack';
import { clientFor, startSixpack, type RunningSixpack } from '../helpers/sixpack-server';
import { features, settle, watchConsole, type Exposure } from './helpers';

const console_ = watchConsole();
let roots: Root[] = [];
afterEach(() => {
  act(() => roots.forEach((r) => r.unmount()));
  roots = [];
  cleanup();
  document.body.innerHTML = '';
});

let sixpack: RunningSixpack;
beforeAll(async () => (sixpack = await startSixpack()));
afterAll(() => sixpack.close());

const ALTS = ['red', 'blue'];

type Bindings = typeof import('../../react/index') & Pick<typeof import('../../react/sixpack'), 'useParticipate'>;

/**
 * The page, built from one copy of the bindings. The server renders with its own copy (a fresh
 * module instance): in one process, two renderers must not share a context object, which never
 * happens for real (the server and the browser are different machines).
 */
const makeApp = ({ Flag, SplitflapReady, useExperiment, useFeature, useFeatureValue, useParticipate, Variant }: Bindings, colors: unknown[] = []) => {
  function Cta() {
    return <p>cta: {useParticipate('cta-color', ALTS).alternative}</p>;
  }
  return function App({ sixpack = true }: { sixpack?: boolean }) {
    const color = useFeature('color');
    colors.push(color.value);
    const inline = useExperiment({ key: 'headline-copy', variations: ['Save time', 'Save money'] });
    return (
      <main>
        <Flag name="headline" fallback={<h1>Old headline</h1>}>
          <h1>New headline</h1>
        </Flag>
        <p>color: {String(color.value)}</p>
        <p>limit: {useFeatureValue('limit', 0)}</p>
        <p>copy: {inline.value}</p>
        {sixpack && <Cta />}
        <Variant experiment={{ key: 'layout', variations: ['grid', 'list'] }}>{{ grid: <p>grid</p>, list: <p>list</p> }}</Variant>
        <SplitflapReady fallback={<p>waiting</p>}>
          <p>ready</p>
        </SplitflapReady>
      </main>
    );
  };
};
const browserBindings: Bindings = { Flag, SplitflapProvider, SplitflapReady, useExperiment, useFeature, useFeatureValue, useParticipate, Variant } as Bindings;
/** Every color the browser rendered, in order (renders React threw away included). */
const renderedColors: unknown[] = [];
const App = makeApp(browserBindings, renderedColors);
let serverSide: { bindings: Bindings; App: ReturnType<typeof makeApp> };
beforeAll(async () => {
  vi.resetModules();
  const bindings = { ...(await import('../../react/index')), ...(await import('../../react/sixpack')) };
  serverSide = { bindings, App: makeApp(bindings) };
});

const textOf = (html: string) => {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div.textContent!;
};

/** Client options of a page; `sixpack: false`: no Sixpack plugin, and the page has no Sixpack CTA. */
type PageOptions = Omit<ClientOptions, 'plugins'> & { sixpack?: false };

/** A server request: a client for this visitor, rendered, and the snapshot as the page would carry it. */
async function serverRender(visitor: string, { sixpack: withSixpack, ...extra }: PageOptions = {}, prepare?: (client: Client & SixpackMethods) => Promise<unknown>) {
  const exposures: Exposure[] = [];
  const plugins: Plugin[] = withSixpack === false ? [] : [sixpackPlugin({ baseUrl: sixpack.url, queue: memoryQueue() })];
  const client = createClient({
    clientId: visitor,
    cookie: false,
    features,
    attributes: { id: visitor, country: 'NL' },
    plugins,
    onExposure: (e, r) => void exposures.push([e.key, r.key]),
    ...extra,
  });
  await client.ready();
  await prepare?.(client as Client & SixpackMethods);
  const { SplitflapProvider: Provider } = serverSide.bindings;
  const html = renderToString(
    <Provider client={client}>
      <serverSide.App sixpack={withSixpack !== false} />
    </Provider>,
  );
  const snapshot = JSON.parse(JSON.stringify(client.getSnapshotForHydration())) as HydrationSnapshot;
  const lean = JSON.parse(JSON.stringify(client.getSnapshotForHydration({ features: false }))) as HydrationSnapshot;
  client.destroy();
  return { html, text: textOf(html), snapshot, lean, exposures };
}

/** The browser: the server's HTML in the page, then hydrateRoot with a client from the snapshot. */
async function hydrate(html: string, { sixpack: withSixpack, ...options }: PageOptions, strict = false, client?: Client) {
  const container = document.createElement('div');
  container.innerHTML = html;
  document.body.appendChild(container);
  const exposures: Exposure[] = [];
  /** The page's client, to wait for its stored sticky buckets (IndexedDB answers when it will). */
  let pageClient: Client | undefined;
  const Capture = () => ((pageClient = useClient()), null);
  const recoverable = vi.fn();
  const participations: string[] = [];
  const fetchSpy = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
    participations.push(String(input));
    return fetch(input, init);
  });
  const tree = (
    <SplitflapProvider
      client={client}
      options={{
        cookie: false,
        plugins: withSixpack === false ? [] : [sixpackPlugin({ baseUrl: sixpack.url, queue: memoryQueue(), fetch: fetchSpy })],
        onExposure: (e, r) => void exposures.push([e.key, r.key]),
        ...options,
      }}
    >
      <App sixpack={withSixpack !== false} />
      <Capture />
    </SplitflapProvider>
  );
  // What the markup looked like when hydration finished, before any effect re-rendered it.
  let hydratedText = '';
  await act(async () => {
    roots.push(hydrateRoot(container, strict ? <StrictMode>{tree}</StrictMode> : tree, { onRecoverableError: recoverable }));
  });
  hydratedText = container.textContent!;
  // Exposures made while stored docs load wait for them to confirm the assignment.
  await act(() => pageClient!.ready());
  await act(settle);
  return { container, exposures, recoverable, hydratedText, participations };
}

describe('server render, then hydrateRoot in the browser', () => {
  it('renders identical markup with zero hydration warnings; exposures only in the browser, once', async () => {
    const visitor = clientFor('cta-color', ALTS, 1, 'ssr-');
    const server = await serverRender(visitor, {}, (client) => client.participate('cta-color', ALTS));
    expect(server.text).toContain('New headline');
    expect(server.text).toContain('cta: blue');
    expect(server.text).toContain('ready');
    // Rendering on the server reports nothing: nothing is committed there.
    expect(server.exposures).toEqual([]);

    const browser = await hydrate(server.html, { hydrate: server.snapshot }, true);
    expect(browser.recoverable).not.toHaveBeenCalled();
    console_.expectClean();
    expect(browser.hydratedText).toBe(server.text);
    expect(browser.container.textContent).toBe(server.text);
    // Each rendered experiment reported once (Strict Mode included), in the browser.
    expect(browser.exposures.map(([key]) => key).sort()).toEqual(['color-test', 'headline-copy', 'layout']);
    // The browser still tells the Sixpack server, which answers the same.
    expect(browser.participations.filter((u) => u.includes('/participate?'))).toHaveLength(1);
  });

  it('renderToPipeableStream: the same, streamed', async () => {
    const visitor = 'stream-visitor';
    const client = createClient({
      clientId: visitor,
      cookie: false,
      features,
      attributes: { id: visitor, country: 'US' },
      plugins: [sixpackPlugin({ baseUrl: sixpack.url, queue: memoryQueue() })],
    });
    const snapshot = JSON.parse(JSON.stringify(client.getSnapshotForHydration())) as HydrationSnapshot;
    const html = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sink = new PassThrough();
      sink.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      const { SplitflapProvider: Provider } = serverSide.bindings;
      const stream = renderToPipeableStream(
        <Provider client={client}>
          <serverSide.App />
        </Provider>,
        { onAllReady: () => stream.pipe(sink), onShellError: reject, onError: reject },
      );
    });
    expect(textOf(html)).toContain('Old headline');
    expect(textOf(html)).toContain('cta: red');
    // Not ready on the server (nobody awaited ready()): the fallback, on both sides; then the
    // browser client gets ready and renders the children (an update, not a mismatch).
    expect(textOf(html)).toContain('waiting');
    const browser = await hydrate(html, { hydrate: snapshot });
    expect(browser.recoverable).not.toHaveBeenCalled();
    console_.expectClean();
    // Ready once the stored sticky buckets are read (IndexedDB, asynchronous): bounded polling.
    const after = textOf(html).replace('waiting', 'ready');
    for (let i = 0; i < 100 && browser.container.textContent !== after; i++) await act(settle);
    expect(browser.container.textContent).toBe(after);
  });

  it('stored sticky buckets that arrive before or during hydration never cause a mismatch; the stored variation shows after', async () => {
    const visitor = 'returning-visitor';
    const server = await serverRender(visitor, { sixpack: false });
    const serverColor = /color: (red|blue|green)/.exec(server.text)![1];
    // The browser's store remembers another variation from an earlier visit (the server did not know it).
    const other = { red: 'b', blue: 'g', green: 'r' }[serverColor as 'red' | 'blue' | 'green'];
    const store = memoryStickyBucketStore([{ attributeName: 'id', attributeValue: visitor, assignments: { 'color-test__0': other } }]);
    // Worst case: the stored docs are already in when hydration starts (a slow hydration, a fast store).
    const client = createClient({ hydrate: server.snapshot, cookie: false, stickyBucketStore: store });
    await client.ready();
    expect(client.evalFeature('color', { track: false }).experimentResult!.key).toBe(other);
    expect(client.evalFeature('color', { track: false, hydrating: true }).value).toBe(serverColor);

    renderedColors.length = 0;
    const browser = await hydrate(server.html, { sixpack: false }, false, client);
    expect(browser.recoverable).not.toHaveBeenCalled();
    console_.expectClean();
    // Hydration rendered the server's variation, then the stored one.
    expect(renderedColors[0]).toBe(serverColor);
    expect(renderedColors.at(-1)).toBe({ r: 'red', b: 'blue', g: 'green' }[other]);
    // Then the stored variation: the visitor keeps what they saw before.
    expect(browser.container.textContent).toContain(`color: ${{ r: 'red', b: 'blue', g: 'green' }[other]}`);
  });

  it('a snapshot without features (the browser has the payload) hydrates the same', async () => {
    const server = await serverRender('lean-visitor', { sixpack: false });
    expect(server.lean.features).toBeUndefined();
    // Everything else that decides a result is still there (url, enabled, allowUrlOverrides, groups, …).
    expect(server.lean).toEqual({ ...server.snapshot, features: undefined });
    expect(JSON.stringify(server.lean).length).toBeLessThan(300);
    const browser = await hydrate(server.html, { hydrate: server.lean, features, sixpack: false });
    expect(browser.recoverable).not.toHaveBeenCalled();
    console_.expectClean();
    expect(browser.container.textContent).toBe(server.text);
  });
});

describe('the hydration snapshot', () => {
  it('carries id, attributes, payload, forced values, sticky docs and Sixpack answers, as JSON', async () => {
    const client = createClient({
      clientId: 'v1',
      cookie: false,
      features,
      attributes: { id: 'v1', plan: 'pro' },
      forcedVariations: { 'layout': 1 },
      forcedFeatures: { limit: 3 },
      stickyBucketAssignmentDocs: { 'id||v1': { attributeName: 'id', attributeValue: 'v1', assignments: { 'x__0': '1' } } },
      plugins: [sixpackPlugin({ baseUrl: sixpack.url, queue: memoryQueue() })],
    });
    const { alternative } = await client.participate('cta-color', ALTS);
    const snapshot = JSON.parse(JSON.stringify(client.getSnapshotForHydration())) as HydrationSnapshot;
    expect(snapshot).toMatchObject({
      clientId: 'v1',
      attributes: { id: 'v1', plan: 'pro' },
      features,
      forcedVariations: { layout: 1 },
      forcedFeatures: { limit: 3 },
      ready: false,
    });
    expect(snapshot.stickyBucketAssignmentDocs!['id||v1']!.assignments).toEqual({ 'x__0': '1' });
    const browser = createClient({ hydrate: snapshot, cookie: false, plugins: [sixpackPlugin({ baseUrl: sixpack.url, queue: memoryQueue() })] });
    expect(browser.clientId).toBe('v1');
    expect(browser.getParticipation('cta-color')).toBe(alternative);
    expect(browser.getFeatureValue('limit', 0)).toBe(3);
    expect(browser.run({ key: 'layout', variations: ['grid', 'list'] }).value).toBe('list');
    client.destroy();
  });

  it("carries the URL the server evaluated with: URL-targeted experiments agree though the browser's location differs", () => {
    const landing: Experiment<string> = { key: 'landing-copy', variations: ['a', 'b'], url: '/landing', hashVersion: 2 };
    // A visitor the hash puts in b, so the control elsewhere means something.
    const id = Array.from({ length: 100 }, (_, i) => `url-${i}`).find(
      (v) => createClient({ clientId: v, cookie: false, url: 'https://shop.example/landing' }).run(landing).value === 'b',
    )!;
    const server = createClient({ clientId: id, cookie: false, url: 'https://shop.example/landing?utm=x' });
    expect(server.run(landing).value).toBe('b');
    const snapshot = JSON.parse(JSON.stringify(server.getSnapshotForHydration())) as HydrationSnapshot;
    expect(snapshot.url).toBe('https://shop.example/landing?utm=x');
    // jsdom's location is not /landing: without the snapshot the browser would show the control.
    expect(location.pathname).not.toContain('/landing');
    expect(createClient({ clientId: id, cookie: false, stickyBucketStore: false }).run(landing).value).toBe('a');
    const browser = createClient({ hydrate: snapshot, cookie: false, stickyBucketStore: false });
    expect(browser.run(landing, { hydrating: true }).value).toBe('b');
    expect(browser.run(landing).value).toBe('b');
  });
});
