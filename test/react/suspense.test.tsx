// @vitest-environment jsdom
/**
 * Suspense, streaming and loading states: `useSplitflapReady()` and `{ suspense: true }` suspend
 * until the client is ready (one ready() per client), so a component renders only its final
 * result; every hook tells whether its result is final (`ready`); hooks inside Suspense
 * boundaries work under renderToReadableStream and renderToPipeableStream, a server may suspend
 * on readiness and send the snapshot after the stream, and hydration then matches with no
 * warning or recoverable error. A client hydrated from a ready snapshot never suspends.
 */
// A browser has IndexedDB (the default sticky store); jsdom has none.
import 'fake-indexeddb/auto';
import { act, cleanup, render, screen } from '@testing-library/react';
import { createRoot } from 'react-dom/client';
import { PassThrough } from 'node:stream';
import { Suspense, use, useState, type ReactNode } from 'react';
import { hydrateRoot, type Root } from 'react-dom/client';
import { renderToPipeableStream, renderToReadableStream } from 'react-dom/server';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type FeatureDefinitions, type HydrationSnapshot, type Plugin } from '../../src/index';
import { SplitflapProvider, useExperiment, useFeature, useFeatureIsOn, useFeatureValue, useSplitflapReady, type Client } from '../../react/index';
import { features, settle, watchConsole } from './helpers';

const console_ = watchConsole();
let roots: Root[] = [];
afterEach(() => {
  act(() => roots.forEach((root) => root.unmount()));
  roots = [];
  cleanup();
  document.body.innerHTML = '';
});

/** A plugin whose payload arrives `ms` later (as a remote one does); ready() waits for it. */
const slowPayload = (payload: FeatureDefinitions, ms: number): Plugin => (host) => {
  host.addStartupTask(new Promise<void>((resolve) => setTimeout(() => (host.setFeatures(payload), resolve()), ms)));
};
/** A browser-like client whose payload comes late. */
const lateClient = (ms = 40) =>
  createClient({ clientId: 'late-visitor', cookie: false, stickyBucketStore: false, attributes: { id: 'late-visitor', country: 'NL' }, plugins: [slowPayload(features, ms)], log: vi.fn() });

/**
 * Mount `node` in an awaited act(), as a suspending tree needs (React waits for what it
 * suspended on before act() resolves).
 */
async function mount(node: ReactNode): Promise<void> {
  const root = createRoot(document.body.appendChild(document.createElement('div')));
  roots.push(root);
  await act(async () => root.render(node));
}

/** Records each render of a Suspense fallback. */
function fallbackRecorder(seen: unknown[]) {
  return function Fallback(): ReactNode {
    seen.push('fallback');
    return <p>loading…</p>;
  };
}

/** Wait (bounded) until `check` passes, letting React render in between. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await act(() => new Promise((resolve) => setTimeout(resolve, 5)));
  expect(check()).toBe(true);
}

describe('suspending until the client is ready', () => {
  it('useSplitflapReady() shows the Suspense fallback, then only final results: never the provisional one', async () => {
    const client = lateClient();
    const ready = vi.spyOn(client, 'ready');
    const seen: unknown[] = [];
    function Headline() {
      useSplitflapReady();
      const on = useFeatureIsOn('headline');
      seen.push(on);
      return <h1>{on ? 'New headline' : 'Old headline'}</h1>;
    }
    function Color() {
      useSplitflapReady();
      const color = useFeatureValue('color', 'none');
      seen.push(color);
      return <p>color: {color}</p>;
    }
    const Fallback = fallbackRecorder(seen);
    await mount(
      <SplitflapProvider client={client}>
        <Suspense fallback={<Fallback />}>
          <Headline />
          <Color />
        </Suspense>
      </SplitflapProvider>,
    );
    expect(seen[0]).toBe('fallback');
    await until(() => !!screen.queryByText('New headline'));
    const color = client.evalFeature('color', { track: false }).value;
    expect(screen.getByText(`color: ${String(color)}`)).toBeTruthy();
    // NL gets the new headline, but only once the payload is in: false (no payload) never rendered.
    expect(seen).not.toContain(false);
    expect(seen).not.toContain('none');
    // One ready() for every suspended component and retry.
    expect(ready).toHaveBeenCalledTimes(1);
    console_.expectClean();
  });

  it('a payload that lands while React waits on the suspended component: no recoverable error, hooks after the suspension mount', async () => {
    // React replays a component whose promise settles while it waits; the replay must call the
    // same hooks in the same order as the suspended attempt (React threw "Update hook called on
    // initial render" when the ready client made the replay skip \`use\`).
    for (const ms of [0, 1, 2, 5]) {
      const client = lateClient(ms);
      const seen: unknown[] = [];
      function Headline() {
        useSplitflapReady();
        const on = useFeatureIsOn('headline');
        const [delay] = useState(ms);
        seen.push(on);
        return <h1>{on ? `New headline after ${delay} ms` : 'Old headline'}</h1>;
      }
      await mount(
        <SplitflapProvider client={client}>
          <Suspense fallback={<p>loading…</p>}>
            <Headline />
          </Suspense>
        </SplitflapProvider>,
      );
      await until(() => !!screen.queryByText(`New headline after ${ms} ms`));
      expect(seen).not.toContain(false);
    }
    console_.expectClean();
  });

  it('{ suspense: true } on useFeature, useFeatureIsOn, useFeatureValue and useExperiment does the same', async () => {
    const client = lateClient();
    const seen: unknown[] = [];
    function Parts() {
      const color = useFeature('color', { suspense: true });
      const on = useFeatureIsOn('headline', { suspense: true });
      const limit = useFeatureValue('limit', 0, { suspense: true });
      const copy = useExperiment({ key: 'copy', variations: ['a', 'b'] }, { suspense: true });
      seen.push([color.value, color.ready, on, limit, copy.ready]);
      return <p>{`${String(color.value)} ${String(on)} ${limit} ${copy.value}`}</p>;
    }
    const Fallback = fallbackRecorder(seen);
    await mount(
      <SplitflapProvider client={client}>
        <Suspense fallback={<Fallback />}>
          <Parts />
        </Suspense>
      </SplitflapProvider>,
    );
    await until(() => !screen.queryByText('loading…'));
    const color = client.evalFeature('color', { track: false }).value;
    expect(seen[0]).toBe('fallback');
    expect(seen.length).toBeGreaterThan(1);
    for (const entry of seen.slice(1)) expect(entry).toEqual([color, true, true, 10, true]);
    console_.expectClean();
  });

  it('without suspense, a hook renders at once and says whether its result is final', async () => {
    const client = lateClient();
    const seen: [unknown, boolean][] = [];
    function Color() {
      const color = useFeature('color');
      seen.push([color.value, color.ready]);
      return <p>{color.ready ? `color: ${String(color.value)}` : 'deciding…'}</p>;
    }
    render(
      <SplitflapProvider client={client}>
        <Color />
      </SplitflapProvider>,
    );
    expect(screen.getByText('deciding…')).toBeTruthy();
    await until(() => !!screen.queryByText(/^color: /));
    expect(seen[0]).toEqual([null, false]);
    expect(seen.at(-1)).toEqual([client.evalFeature('color', { track: false }).value, true]);
    // Never a "final" result that later changed.
    const finals = seen.filter(([, ready]) => ready).map(([value]) => value);
    expect(new Set(finals).size).toBe(1);
  });
});

/** The markup a server streams with `render`, read to the end. */
async function readStream(stream: ReadableStream<Uint8Array>): Promise<string> {
  let html = '';
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return html + decoder.decode();
    html += decoder.decode(value, { stream: true });
  }
}

/** Stream with renderToPipeableStream from the shell on, to the end. */
const pipeToString = (node: ReactNode) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    const stream = renderToPipeableStream(node, { onShellReady: () => stream.pipe(sink), onShellError: reject, onError: reject });
  });

/**
 * The document as a browser has it once React's inline scripts ran: each streamed segment
 * (`<div hidden id="S:n">`) moved into its boundary (`<template id="B:n">` and the fallback), the
 * scripts gone. jsdom runs no scripts.
 */
function streamedIn(html: string): string {
  const segments = new Map<string, string>();
  const rest = html
    .replace(/<div hidden id="S:(\d+)">([\s\S]*?)<\/div>/g, (_, id: string, content: string) => (segments.set(id, content), ''))
    .replace(/<script>[\s\S]*?<\/script>/g, '');
  return rest.replace(/<!--\$\?--><template id="B:(\d+)"><\/template>[\s\S]*?<!--\/\$-->/g, (_, id: string) => `<!--$-->${segments.get(id)}<!--/$-->`);
}

type Bindings = typeof import('../../react/index');

/**
 * A page with a boundary that suspends on data (a slow stock lookup) and hooks inside it.
 * Built from one copy of the bindings: the server renders with its own (in one process, two
 * renderers must not share a context object; for real they are different machines).
 */
function makePage({ SplitflapProvider: Provider, useFeature: useFeatureHook, useFeatureIsOn: useIsOn }: Bindings, stock: Promise<string>, suspense = false) {
  function Stock() {
    const text = use(stock);
    const color = useFeatureHook('color', { suspense });
    return <p>{`${text} color: ${String(color.value)} ready: ${String(color.ready)}`}</p>;
  }
  function Headline() {
    return <h1>{useIsOn('headline', { suspense }) ? 'New headline' : 'Old headline'}</h1>;
  }
  return function Page({ client }: { client: Client }) {
    return (
      <Provider client={client}>
        {/* An element around the boundaries: Fizz inlines boundaries that have no shell markup around them. */}
        <main>
          <Suspense fallback={<p>loading headline…</p>}>
            <Headline />
          </Suspense>
          <Suspense fallback={<p>checking stock…</p>}>
            <Stock />
          </Suspense>
        </main>
      </Provider>
    );
  };
}

describe('streaming server rendering and hydration', () => {
  let server: Bindings;
  beforeAll(async () => {
    vi.resetModules();
    server = await import('../../react/index');
  });

  /** Hydrate `html` in the page with a browser client from `snapshot`; returns the container and recoverable errors. */
  async function hydrate(html: string, snapshot: HydrationSnapshot, stock: Promise<string>, suspense = false) {
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.appendChild(container);
    const recoverable = vi.fn();
    const fallbacks = vi.fn();
    const browserBindings = { SplitflapProvider, useFeature, useFeatureIsOn } as Bindings;
    const Page = makePage(browserBindings, stock, suspense);
    const client = createClient({ hydrate: snapshot, cookie: false });
    await act(async () => {
      roots.push(hydrateRoot(container, <Page client={client} />, { onRecoverableError: recoverable }));
    });
    await act(settle);
    return { container, recoverable, fallbacks };
  }

  const text = (html: string) => {
    const div = document.createElement('div');
    div.innerHTML = html;
    return div.textContent;
  };

  for (const [name, stream] of [
    ['renderToReadableStream', async (node: ReactNode) => readStream(await renderToReadableStream(node))],
    ['renderToPipeableStream', pipeToString],
  ] as const) {
    it(`${name}: hooks inside a boundary that suspends on data stream in, and hydrate with no mismatch`, async () => {
      const client = createClient({ clientId: 'stream-1', cookie: false, features, attributes: { id: 'stream-1', country: 'NL' } });
      await client.ready();
      const stock = new Promise<string>((resolve) => setTimeout(() => resolve('In stock.'), 100));
      const Page = makePage(server, stock);
      const html = await stream(<Page client={client} />);
      const color = String(client.evalFeature('color', { track: false }).value);
      // The boundary was streamed after the shell: its fallback first, the content later in the stream.
      expect(html.indexOf('checking stock…')).toBeGreaterThan(-1);
      expect(html.indexOf(`In stock. color: ${color} ready: true`)).toBeGreaterThan(html.indexOf('checking stock…'));
      const snapshot = JSON.parse(JSON.stringify(client.getSnapshotForHydration())) as HydrationSnapshot;
      const page = streamedIn(html);
      expect(page).not.toContain('checking stock…');
      const browser = await hydrate(page, snapshot, stock);
      expect(browser.recoverable).not.toHaveBeenCalled();
      console_.expectClean();
      expect(browser.container.textContent).toBe(text(page));
      expect(browser.container.textContent).toContain(`In stock. color: ${color} ready: true`);
      expect(browser.container.textContent).toContain('New headline');
    });
  }

  it('a server may suspend on readiness ({ suspense: true }) and send the snapshot after the stream; hydration matches', async () => {
    // Nobody awaited ready(): the payload arrives while the server renders.
    const client = createClient({ clientId: 'stream-2', cookie: false, attributes: { id: 'stream-2', country: 'NL' }, plugins: [slowPayload(features, 30)] });
    const stock = Promise.resolve('In stock.');
    const Page = makePage(server, stock, true);
    const html = await pipeToString(<Page client={client} />);
    // The shell went out with the fallbacks; the boundaries followed once the client was ready.
    expect(html).toContain('loading headline…');
    expect(client.getSnapshot().ready).toBe(true);
    const color = String(client.evalFeature('color', { track: false }).value);
    expect(html).toContain('New headline');
    expect(html).toContain(`In stock. color: ${color} ready: true`);
    // Taken after the stream ended (a page appends it after React's markup; module scripts run after parsing).
    const snapshot = JSON.parse(JSON.stringify(client.getSnapshotForHydration())) as HydrationSnapshot;
    expect(snapshot.ready).toBe(true);
    const page = streamedIn(html);
    const browser = await hydrate(page, snapshot, stock, true);
    expect(browser.recoverable).not.toHaveBeenCalled();
    console_.expectClean();
    expect(browser.container.textContent).toBe(text(page));
    expect(browser.container.textContent).toContain(`In stock. color: ${color} ready: true`);
  });

  it('a client hydrated from a ready snapshot never suspends, so no fallback replaces the server markup', async () => {
    const client = createClient({ clientId: 'stream-3', cookie: false, features, attributes: { id: 'stream-3', country: 'NL' } });
    await client.ready();
    const snapshot = JSON.parse(JSON.stringify(client.getSnapshotForHydration())) as HydrationSnapshot;
    const browser = createClient({ hydrate: snapshot, cookie: false });
    expect(browser.getSnapshot().ready).toBe(true);
    const ready = vi.spyOn(browser, 'ready');
    const rendered: string[] = [];
    function Color() {
      const color = useFeature('color', { suspense: true });
      rendered.push(String(color.value));
      return <p>{String(color.value)}</p>;
    }
    function Fallback(): ReactNode {
      rendered.push('fallback');
      return <p>loading…</p>;
    }
    render(
      <SplitflapProvider client={browser}>
        <Suspense fallback={<Fallback />}>
          <Color />
        </Suspense>
      </SplitflapProvider>,
    );
    expect(rendered).toEqual([String(client.evalFeature('color', { track: false }).value)]);
    expect(ready).not.toHaveBeenCalled();
  });
});
