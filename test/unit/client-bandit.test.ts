/**
 * Bandit experiments in the client (#7): stats → weights → new visitors, stickiness for
 * existing visitors, winners (with and without reassign), and stats fetched from the example
 * Sixpack server over real HTTP.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStickyBucketStore, type BanditConfig, type ClientOptions, type Experiment, type FeatureDefinitions } from '../../src/index';
import { baseplate } from '../../src/plugins/baseplate';
import { bandits, type BanditsOptions } from '../../src/plugins/bandits';
import { computeBandit, parseBanditStats } from '../../src/plugins/bandits/runtime';
import { remote } from '../../src/plugins/remote';
import { type RunningSixpack, startSixpack } from '../helpers/sixpack-server';

const greedy: BanditConfig = { policy: 'epsilon-greedy', params: { epsilon: 0.4 } };
/** Arm 1 converts better: ε-greedy with ε = 0.4 gives exactly [0.2, 0.8]. */
const armOneAhead = [
  { participants: 100, conversions: 10 },
  { participants: 100, conversions: 20 },
];
const exp = (bandit: BanditConfig): Experiment<string> => ({ key: 'cta', variations: ['a', 'b'], hashVersion: 2, bandit });

/**
 * A client with the bandits plugin. Its sticky store is a memory one: one client plays many
 * visitors, and a server client has no store by default.
 */
const banditClient = (options: Omit<ClientOptions, 'plugins'> = {}, banditOptions?: BanditsOptions) =>
  createClient({ stickyBucketStore: memoryStickyBucketStore(), ...options, plugins: [bandits(banditOptions)] });

/** The variation each visitor gets, one client playing many visitors (sticky docs kept in its store). */
function serve(client: ReturnType<typeof createClient>, experiment: Experiment<string>, ids: string[]) {
  return ids.map((id) => {
    client.setAttributes({ id });
    return client.run(experiment).value;
  });
}
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const share = (values: string[], v: string) => values.filter((x) => x === v).length / values.length;

describe('bandit weights in the client', () => {
  it('computes deterministic weights and reports them with getBandit', async () => {
    const client = banditClient({ clientId: 'x', log: vi.fn() });
    client.run(exp(greedy));
    expect(client.getBandit('cta')).toBeUndefined();
    client.setBanditStats('cta', armOneAhead);
    const state = client.getBandit('cta')!;
    expect(state.weights).toEqual([0.2, 0.8]);
    expect(state.winner).toBeNull();
    expect(state.stats).toEqual(armOneAhead);
    // Thompson's Monte-Carlo weights are seeded by key and counts: identical in every client.
    const t = computeBandit('k', { policy: 'thompson' }, armOneAhead).weights;
    expect(computeBandit('k', { policy: 'thompson' }, armOneAhead).weights).toEqual(t);
    expect(t[1]).toBeGreaterThan(0.9);
  });

  it('new visitors follow the weights in proportion; existing visitors keep their arm', async () => {
    const client = banditClient({ clientId: 'x', log: vi.fn() });
    const experiment = exp(greedy);
    const before = serve(client, experiment, ids('old', 400));
    expect(share(before, 'b')).toBeGreaterThan(0.4);
    expect(share(before, 'b')).toBeLessThan(0.6);

    const listener = vi.fn();
    client.subscribe(listener);
    client.setBanditStats('cta', armOneAhead);
    expect(listener).toHaveBeenCalled();

    const fresh = serve(client, experiment, ids('new', 2000));
    expect(share(fresh, 'b')).toBeGreaterThan(0.77);
    expect(share(fresh, 'b')).toBeLessThan(0.83);
    // Sticky buckets: everyone served before the weights changed keeps the same arm.
    expect(serve(client, experiment, ids('old', 400))).toEqual(before);
  });

  it('the arm served is the arm reported in the exposure', async () => {
    const onExposure = vi.fn();
    const client = banditClient({ clientId: 'x' }, { stats: { cta: armOneAhead }, experiments: { cta: greedy } });
    await client.ready();
    expect(client.getBandit('cta')!.weights).toEqual([0.2, 0.8]);
    client.setOnExposure(onExposure);
    const served = serve(client, exp(greedy), ids('v', 50));
    // Exposures made while a visitor's stored docs load are reported once the docs confirm them.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(onExposure.mock.calls.map(([, result]) => result.value)).toEqual(served);
  });

  const winning = [
    { participants: 500, conversions: 25 },
    { participants: 500, conversions: 100 },
  ];

  it('a declared winner gets every new visitor; existing visitors keep theirs', async () => {
    const client = banditClient({ clientId: 'x', log: vi.fn() });
    const experiment = exp({ ...greedy, winner: { minParticipants: 100 } });
    const before = serve(client, experiment, ids('old', 200));
    expect(new Set(before)).toEqual(new Set(['a', 'b']));
    client.setBanditStats('cta', winning);
    const state = client.getBandit('cta')!;
    expect(state.winner).toBe(1);
    expect(state.pValue).toBeLessThan(0.05);
    expect(state.weights).toEqual([0, 1]);
    expect(new Set(serve(client, experiment, ids('new', 300)))).toEqual(new Set(['b']));
    expect(serve(client, experiment, ids('old', 200))).toEqual(before);
  });

  it('winner with reassign: everyone gets the winner, as a decision (no exposure)', async () => {
    const onExposure = vi.fn();
    const client = banditClient({ clientId: 'x', onExposure });
    const experiment = exp({ ...greedy, winner: { reassign: true } });
    serve(client, experiment, ids('old', 50));
    const exposures = onExposure.mock.calls.length;
    client.setBanditStats('cta', winning);
    const after = ids('old', 50).map((id) => {
      client.setAttributes({ id });
      return client.run(experiment);
    });
    expect(after.every((r) => r.value === 'b' && !r.hashUsed)).toBe(true);
    expect(onExposure.mock.calls.length).toBe(exposures);
  });

  it('works for feature experiment rules and named experiments, under the app overrides', async () => {
    const features: FeatureDefinitions = {
      hero: { defaultValue: 'x', rules: [{ key: 'hero-test', variations: ['x', 'y'], hashVersion: 2, bandit: { policy: 'ucb1' } }] },
    };
    const client = createClient({
      clientId: 'x',
      features,
      stickyBucketStore: memoryStickyBucketStore(),
      plugins: [
        baseplate({ named: { variations: ['p', 'q'], hashVersion: 2, bandit: { policy: 'ucb1' } } }),
        bandits({
          stats: {
            'hero-test': [
              { participants: 10, conversions: 1 },
              { participants: 0, conversions: 0 },
            ],
            named: [
              { participants: 0, conversions: 0 },
              { participants: 10, conversions: 1 },
            ],
          },
        }),
      ],
      overrides: { other: { coverage: 0 } },
    });
    await client.ready();
    // UCB1 plays the untried arm: one-hot weights. Payload rules are known up front.
    expect(client.getBandit('hero-test')!.weights).toEqual([0, 1]);
    // A named experiment is seen when it first assigns (with its own weights); then it is a bandit.
    expect(client.getBandit('named')).toBeUndefined();
    expect(['p', 'q']).toContain(client.variant('named', { id: 'first-visitor' }));
    expect(client.getBandit('named')!.weights).toEqual([1, 0]);
    for (const id of ids('u', 20)) {
      client.setAttributes({ id });
      expect(client.getFeatureValue('hero', '')).toBe('y');
      expect(client.variant('named')).toBe('p');
    }
  });

  it('stats given before an inline experiment is first seen apply once it first assigns', async () => {
    const client = banditClient({ clientId: 'x', log: vi.fn() });
    client.setBanditStats('first', [
      { participants: 10, conversions: 1 },
      { participants: 0, conversions: 0 },
    ]);
    expect(client.getBandit('first')).toBeUndefined(); // kept until the experiment is seen
    const listener = vi.fn();
    client.subscribe(listener);
    const experiment: Experiment<string> = { key: 'first', variations: ['a', 'b'], hashVersion: 2, bandit: { policy: 'ucb1' } };
    // Many first visitors whose own-weights (50/50) hash gives `a`: the bandit would give them `b`.
    const hashedToA = ids('f', 60).filter((id) => createClient({ clientId: id, stickyBucketStore: false }).run(experiment).value === 'a');
    expect(hashedToA.length).toBeGreaterThan(10);
    // The very first evaluation registers the bandit and uses the experiment's own weights.
    const [first, ...rest] = serve(client, experiment, hashedToA);
    expect(first).toBe('a');
    expect(client.getBandit('first')!.weights).toEqual([0, 1]);
    expect(listener).toHaveBeenCalled();
    // Every later visitor follows the known stats.
    expect(rest.every((v) => v === 'b')).toBe(true);
  });

  it('bad stats are logged and ignored, never thrown', async () => {
    const log = vi.fn();
    const client = banditClient({ clientId: 'x', log });
    client.run(exp(greedy));
    client.setBanditStats('cta', [{ participants: 1, conversions: 5 }, { participants: 1, conversions: 0 }]);
    client.setBanditStats('cta', [{ participants: 1, conversions: 0 }]);
    expect(client.getBandit('cta')).toBeUndefined();
    expect(log).toHaveBeenCalledWith('Ignored bad bandit stats', expect.anything());
  });

  it('parses Sixpack experiment objects by alternative name', () => {
    const body = {
      alternatives: [
        { name: 'b', participant_count: 5, completed_count: 1 },
        { name: 'a', participant_count: 7, completed_count: 2 },
      ],
    };
    expect(parseBanditStats(body, ['a', 'b'])).toEqual([
      { participants: 7, conversions: 2 },
      { participants: 5, conversions: 1 },
    ]);
    expect(parseBanditStats({ stats: armOneAhead })).toEqual(armOneAhead);
    expect(() => parseBanditStats({ nope: 1 })).toThrow();
  });
});

describe('bandit stats from a Sixpack-compatible server', () => {
  let sp: RunningSixpack;
  beforeAll(async () => {
    sp = await startSixpack();
  });
  afterAll(() => sp.close());

  async function seed(name: string, plan: Record<string, [number, number]>) {
    for (const [alt, [participants, conversions]] of Object.entries(plan)) {
      for (let i = 0; i < participants; i++) {
        const client_id = `${name}-${alt}-${i}`;
        await sp.get('/participate', { experiment: name, alternatives: ['control', 'treat'], client_id, force: alt, record_force: 'true' });
        if (i < conversions) await sp.get('/convert', { experiment: name, client_id });
      }
    }
  }

  it('fetches /experiments/NAME, refreshes it, and logs a failing URL once', async () => {
    await seed('hero', { control: [10, 1], treat: [10, 1] });
    const log = vi.fn();
    const experiment: Experiment<string> = {
      key: 'hero',
      variations: ['control', 'treat'],
      hashVersion: 2,
      bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.2 }, statsUrl: sp.url + '/experiments/hero', refreshMs: 50 },
    };
    const client = banditClient({ clientId: 'x', log });
    client.run(experiment);
    await vi.waitFor(() => expect(client.getBandit('hero')).toBeDefined());
    expect(client.getBandit('hero')!.stats).toEqual([
      { participants: 10, conversions: 1 },
      { participants: 10, conversions: 1 },
    ]);
    expect(client.getBandit('hero')!.weights).toEqual([0.5, 0.5]);
    // More conversions for `treat`: the next poll moves the weights.
    await seed('hero', { treat: [10, 8] });
    await vi.waitFor(() => expect(client.getBandit('hero')!.weights).toEqual([0.1, 0.9]), { timeout: 2000 });
    // Clients of the process share a recent stats response: wait for the poll that has every conversion.
    await vi.waitFor(() => expect(client.getBandit('hero')!.stats[1]).toEqual({ participants: 10, conversions: 8 }), { timeout: 2000 });

    // A Sixpack experiment (chosen by the server) watched through `bandits`: arms in the server's order.
    const watcher = banditClient(
      { clientId: 'w', log },
      { experiments: { hero: { policy: 'epsilon-greedy', params: { epsilon: 0.2 }, statsUrl: sp.url + '/experiments/hero' } } },
    );
    await watcher.ready();
    expect(watcher.getBandit('hero')!.stats).toEqual([
      { participants: 10, conversions: 1 },
      { participants: 10, conversions: 8 },
    ]);
    watcher.destroy();

    const broken = banditClient(
      { clientId: 'y', log },
      { experiments: { gone: { policy: 'thompson', statsUrl: sp.url + '/experiments/missing', refreshMs: 20 } } },
    );
    await broken.ready();
    await new Promise((r) => setTimeout(r, 100));
    expect(log.mock.calls.filter(([m]) => m === 'Fetching bandit stats failed')).toHaveLength(1);
    expect(broken.getBandit('gone')).toBeUndefined();
    client.destroy();
    broken.destroy();
  });

  it('ready() waits for the first stats of bandits in a featuresUrl payload', async () => {
    await seed('payload-hero', { control: [10, 0], treat: [0, 0] });
    const payload = {
      features: {
        hero: {
          defaultValue: 'control',
          rules: [{ key: 'payload-hero', variations: ['control', 'treat'], hashVersion: 2, bandit: { policy: 'ucb1', statsUrl: sp.url + '/experiments/payload-hero' } }],
        },
      },
    };
    const site = http.createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload)));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const { port } = site.address() as AddressInfo;
    try {
      const client = createClient({
        clientId: 'p',
        readyTimeoutMs: 5000,
        log: vi.fn(),
        plugins: [remote({ url: `http://127.0.0.1:${port}/features.json` }), bandits()],
      });
      await client.ready();
      // UCB1 plays the untried arm: the very first evaluation already follows the stats.
      expect(client.getBandit('payload-hero')!.weights).toEqual([0, 1]);
      expect(client.getFeatureValue('hero', '')).toBe('treat');
      client.destroy();
    } finally {
      await new Promise((resolve) => site.close(resolve));
    }
  });
});
