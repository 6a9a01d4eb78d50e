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

async function freshModule() {
  vi.resetModules();
  delete (window as unknown as Record<string, unknown>).__splitflapLoaded;
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
