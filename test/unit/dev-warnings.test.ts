/**
 * Mistakes explain themselves: in development (here: NODE_ENV is not 'production') each setup
 * mistake logs one line saying what to write instead, and a plugin method called without its
 * plugin throws an error naming the plugin and its entry. Bad attributes are ignored with a log
 * line in every build.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, type ClientOptions, type Logger } from '../../src/index';
import { sixpack, type SixpackMethods } from '../../src/plugins/sixpack';
import { bandits } from '../../src/plugins/bandits';

const quiet = (options: Record<string, unknown> = {}) => {
  const log = vi.fn<Logger>();
  const client = createClient({ clientId: 'dev-visitor', cookie: false, stickyBucketStore: false, log, ...(options as ClientOptions) });
  return { client, log, messages: () => log.mock.calls.map(([message]) => message) };
};

describe('development warnings', () => {
  it('an unknown option name warns once, with the nearest known name', () => {
    const { messages } = quiet({ feature: { a: { defaultValue: 1 } } });
    expect(messages()).toContain('createClient(): unknown option "feature"; did you mean "features"?');
    expect(quiet({ plugin: [] }).messages()).toContain('createClient(): unknown option "plugin"; did you mean "plugins"?');
    expect(quiet({ atributes: {} }).messages()).toContain('createClient(): unknown option "atributes"; did you mean "attributes"?');
    // Once per process: a per-request client must not flood the log.
    expect(quiet({ feature: {} }).messages().filter((message) => message.includes('"feature"'))).toEqual([]);
  });

  it('a name far from every option lists the known ones', () => {
    const [message] = quiet({ zzzzzzzzzz: 1 }).messages();
    expect(message).toMatch(/^createClient\(\): unknown option "zzzzzzzzzz" \(known: plugins, clientId, .*attributes/);
  });

  it('known options, every one of them, warn nothing', () => {
    const { messages } = quiet({ features: {}, attributes: { id: 'x' }, qaMode: false, url: 'http://127.0.0.1/', readyTimeoutMs: 10 });
    expect(messages()).toEqual([]);
  });

  it('a plugin factory passed without calling it warns and is ignored', () => {
    const { client, messages } = quiet({ plugins: [bandits] });
    expect(messages()).toContain("plugins: [bandits] passes the plugin's factory: call it, plugins: [bandits(options)]. It was ignored.");
    expect('getBandit' in client).toBe(false);
  });

  it("GrowthBook's API response passed as features warns, saying what to write", () => {
    const payload = { status: 200, features: { headline: { defaultValue: true } }, dateUpdated: '2026-12-01T00:00:00Z' };
    const { client, messages } = quiet({ features: payload });
    expect(messages()).toContain('features: this is a GrowthBook API response, not its feature definitions: write { features: payload.features, savedGroups: payload.savedGroups }');
    client.setFeatures({ headline: { defaultValue: true } });
    expect(client.isOn('headline')).toBe(true);
    // A feature that is really named "features" is not mistaken for a response.
    expect(quiet({ features: { features: { defaultValue: 1 }, savedGroups: { defaultValue: 2 } } }).messages()).toEqual([]);
  });

  it('a plugin method called without its plugin throws, naming the plugin and the entry to import', () => {
    const { client } = quiet();
    const plain = client as unknown as { participate: () => void; getBandit: () => void; variant: () => void };
    expect(() => plain.participate()).toThrow("splitflap: client.participate() needs the sixpack plugin: import { sixpack } from 'splitflap/sixpack'; createClient({ plugins: [sixpack({ baseUrl })] })");
    expect(() => plain.getBandit()).toThrow(/needs the bandits plugin: import \{ bandits \} from 'splitflap\/bandits'/);
    expect(() => plain.variant()).toThrow(/needs the baseplate plugin/);
    // `in` tells the truth, and with the plugin the real method is there.
    expect('participate' in client).toBe(false);
    const withPlugin = quiet({ plugins: [sixpack({ baseUrl: 'http://127.0.0.1:9/' })] }).client as typeof client & SixpackMethods;
    expect(typeof withPlugin.participate).toBe('function');
    expect(withPlugin.getParticipation('nothing')).toBeUndefined();
  });
});

describe('attributes that are not an object (every build)', () => {
  it("setAttributes('id=1') is ignored with a log line that says what to write; the visitor keeps their attributes", () => {
    const { client, messages } = quiet({ attributes: { id: 'user-1', country: 'NL' } });
    client.setAttributes('id=1' as never);
    client.setAttributes(['id'] as never);
    expect(client.getAttributes()).toEqual({ id: 'user-1', country: 'NL' });
    expect(messages().filter((message) => message.startsWith('Ignored attributes: not an object. Write setAttributes({'))).toHaveLength(2);
  });

  it('attributes given as a string at creation fall back to the client id', () => {
    const { client, messages } = quiet({ attributes: 'country=NL' });
    expect(client.getAttributes()).toEqual({ id: 'dev-visitor' });
    expect(messages()[0]).toMatch(/^Ignored attributes: not an object/);
  });
});
