// @vitest-environment jsdom
/**
 * examples/react: the server renders a page with the hydration snapshot; that page hydrates
 * (client.tsx, as the bundle runs it) without a warning and with the same text. The build is
 * tested in example-build.test.ts.
 */
// A browser has IndexedDB (the default sticky store); jsdom has none.
import 'fake-indexeddb/auto';
import { act, cleanup } from '@testing-library/react';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSixpack, type RunningSixpack } from '../helpers/sixpack-server';
import { watchConsole } from './helpers';

const console_ = watchConsole();
let sp: RunningSixpack;
beforeAll(async () => (sp = await startSixpack()));
afterAll(async () => {
  cleanup();
  await sp.close();
});

describe('examples/react', () => {
  it('the server-rendered page hydrates in the browser with the same text and no warning', async () => {
    // The server's copy of the modules (in one process, two renderers must not share a context).
    vi.resetModules();
    const { renderPage } = await import('../../examples/react/server');
    const { html, setCookie } = await renderPage({ url: 'http://localhost:3000/', sixpackUrl: sp.url, serverSixpackUrl: sp.url });
    expect(setCookie).toMatch(/^sixpack_client_id=/);
    // The page is http: a Secure cookie would be dropped by the browser (a new visitor every load).
    expect(setCookie).not.toMatch(/secure/i);
    const data = JSON.parse(/<script type="application\/json" id="splitflap-data">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.snapshot.clientId).toBe(setCookie!.split(/[=;]/)[1]);
    // The payload is in the bundle, not in the page.
    expect(data.snapshot.features).toBeUndefined();
    const alternative = data.snapshot.stickyBucketAssignmentDocs[`sixpack_client_id||${data.snapshot.clientId}`].assignments['sixpack:signup-copy__0'];
    expect(['join-now', 'start-free']).toContain(alternative);

    document.documentElement.innerHTML = html.replace(/^<!doctype html>\s*<html[^>]*>/i, '').replace(/<\/html>\s*$/, '');
    const serverText = document.getElementById('root')!.textContent;
    // Styled and explained like the plain page: the shop's card, and what each part shows.
    expect(html).toMatch(/<style>[^<]*\.product \{[^<]*<\/style>/);
    expect(serverText).toContain('What this page shows');
    expect(serverText).toContain('Departure alerts');
    const buyColor = document.querySelector('[data-testid="buy"]')!.getAttribute('data-color');
    vi.resetModules();
    await act(async () => {
      await import('../../examples/react/client');
    });
    await act(() => new Promise((r) => setTimeout(r, 100)));
    console_.expectClean();
    // Only the Sixpack status changes: the server's answer arrives (source `sticky` → `server`).
    const text = document.getElementById('root')!.textContent!;
    const status = /\((sticky|server|asking the server…)\)/;
    expect(serverText).toMatch(status);
    expect(text.replace(status, '')).toBe(serverText!.replace(status, ''));
    // The server-rendered variant stays: no flicker after hydration.
    expect(document.querySelector('[data-testid="buy"]')!.getAttribute('data-color')).toBe(buyColor);
  }, 60_000);
});
