// @vitest-environment jsdom
/**
 * The script tag's consent, stream and DevTools attributes reach its configuration, and
 * `data-consent="pending"` starts a client that waits (no cookie written). The page-level
 * behaviour is tested in Chromium (test/browser/consent, live and devtools tests).
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { PageClient, ScriptConfig } from '../../src/browser/index';

afterEach(() => {
  for (const pair of document.cookie.split('; ').filter(Boolean)) document.cookie = pair.split('=')[0] + '=; Max-Age=0; Path=/';
});

/** A new page: the main file's module, after the add-on files named (their tags come first). */
async function freshModule(addons: ('consent' | 'sixpack')[] = ['consent']) {
  vi.resetModules();
  const win = window as unknown as Record<string, unknown>;
  for (const name of ['__splitflapLoaded', 'SplitflapConsent', 'SplitflapSixpack']) delete win[name];
  for (const addon of addons) await import(`../../src/browser/${addon}.ts`);
  return import('../../src/browser/index');
}

it('reads data-consent, data-features-stream and data-devtools', async () => {
  const { readConfig } = await freshModule();
  const script = document.createElement('script');
  script.dataset.consent = 'pending';
  script.dataset.featuresStream = '';
  script.dataset.devtools = 'qa-panel';
  expect(readConfig(script, undefined)).toEqual({ consent: 'pending', featuresStream: '', devtools: 'qa-panel' } satisfies ScriptConfig);
});

it('data-consent="pending" starts a client that writes no cookie until setConsent("granted")', async () => {
  const { start } = await freshModule();
  const client: PageClient = start({ consent: 'pending', features: { flag: { defaultValue: true } }, log: () => undefined });
  expect(client.isOn('flag')).toBe(true);
  expect(client.getConsent!()).toBe('pending');
  expect(document.cookie).toBe('');
  client.setConsent!('granted');
  expect(document.cookie).toBe('sixpack_client_id=' + client.clientId);
  client.destroy();
});

it('a page asking for consent without splitflap.consent.js says what to add, and stores and reports nothing', async () => {
  const { start } = await freshModule([]);
  const logged: string[] = [];
  const onExposure = vi.fn();
  const features = { exp: { defaultValue: 0, rules: [{ key: 'exp', variations: [0, 1], weights: [0, 1] }] } };
  const client: PageClient = start({ consent: 'pending', features, onExposure, log: (message) => void logged.push(message) });
  expect(logged).toEqual([expect.stringContaining('add <script src=".../splitflap.consent.js"></script> before splitflap.global.js')]);
  expect(client.getFeatureValue('exp', -1)).toBe(0);
  expect(onExposure).not.toHaveBeenCalled();
  expect(document.cookie).toBe('');
  client.destroy();
});

it('a page in Sixpack mode without splitflap.sixpack.js says what to add, and has no Sixpack methods', async () => {
  const { start } = await freshModule([]);
  const logged: string[] = [];
  const client: PageClient = start({ sixpackUrl: 'http://127.0.0.1:9', log: (message) => void logged.push(message) });
  expect(logged).toEqual([expect.stringContaining('add <script src=".../splitflap.sixpack.js"></script> before splitflap.global.js')]);
  expect('participate' in client).toBe(false);
  client.destroy();
});
