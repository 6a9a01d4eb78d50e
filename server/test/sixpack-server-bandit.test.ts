/**
 * The example Sixpack server running experiments as bandits (#7): the admin endpoint, the
 * policy's choice for new participants (injected RNG), stickiness, and the bandit block of
 * /experiments/NAME. Runs against the memory store and the Redis store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseArm } from '../../src/plugins/bandits/bandit';
import { mulberry32 } from '../../test/helpers/random';
import { describeEachStore, type RunningSixpack, scriptedRandom, startSixpack } from '../../test/helpers/sixpack-server';

describeEachStore((makeStore) => {
  const rng = scriptedRandom();
  let sp: RunningSixpack;
  beforeAll(async () => {
    sp = await startSixpack({ store: await makeStore(), random: rng.random });
  });
  afterAll(() => sp.close());

  const ALTS = ['control', 'treat'];
  const participate = (experiment: string, client_id: string, extra: Record<string, string> = {}) =>
    sp.get('/participate', { experiment, alternatives: ALTS, client_id, ...extra });
  const chosen = (r: { json: any }) => r.json.alternative.name as string;

  /** `participants` forced visits to `alt`, the first `conversions` of them converting. */
  async function record(experiment: string, alt: string, participants: number, conversions: number) {
    for (let i = 0; i < participants; i++) {
      const id = `${experiment}-${alt}-${i}`;
      await participate(experiment, id, { force: alt, record_force: 'true' });
      if (i < conversions) await sp.get('/convert', { experiment, client_id: id });
    }
  }

  describe('bandit experiments on the example server', () => {
    it('validates the admin bandit field and echoes it in the record', async () => {
      await participate('adm', 'c0');
      expect((await sp.send('POST', '/_admin/experiments/adm', { bandit: { policy: 'nope' } })).status).toBe(400);
      expect((await sp.send('POST', '/_admin/experiments/adm', { bandit: { policy: 'ucb1', extra: 1 } })).status).toBe(400);
      expect((await sp.send('POST', '/_admin/experiments/adm', { bandit: { policy: 'epsilon-greedy', params: { epsilon: 2 } } })).status).toBe(400);
      expect((await sp.send('POST', '/_admin/experiments/adm', { bandit: { policy: 'thompson', params: { samples: 1e9 } } })).status).toBe(400);
      expect((await sp.send('POST', '/_admin/experiments/adm', { bandit: { policy: 'ucb1', winner: { alpha: 3 } } })).status).toBe(400);
      const ok = await sp.send('POST', '/_admin/experiments/adm', { bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.2 } } });
      expect(ok.status).toBe(200);
      expect(ok.json.experiment.bandit).toEqual({ policy: 'epsilon-greedy', params: { epsilon: 0.2 } });
      const off = await sp.send('POST', '/_admin/experiments/adm', { bandit: null });
      expect(off.json.experiment.bandit).toBeUndefined();
    });

    it("new participants get the policy's draw from the injected RNG; existing ones keep theirs", async () => {
      await record('eg', 'control', 20, 2);
      await record('eg', 'treat', 20, 8);
      await sp.send('POST', '/_admin/experiments/eg', { bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.1 } } });
      // Draws: traffic fraction (0 → included), then ε-greedy: 0.5 ≥ ε → the best arm.
      rng.push(0, 0.5);
      expect(chosen(await participate('eg', 'new-1'))).toBe('treat');
      // 0.05 < ε → explore: uniform index from the next draw (0.1 → control).
      rng.push(0, 0.05, 0.1);
      expect(chosen(await participate('eg', 'new-2'))).toBe('control');
      expect(rng.pending()).toBe(0);
      // Recorded as served, and sticky: no further draws.
      expect(chosen(await participate('eg', 'new-2'))).toBe('control');
      expect(chosen(await participate('eg', 'new-1'))).toBe('treat');
      expect(rng.pending()).toBe(0);
      const view = (await sp.get('/experiments/eg')).json;
      expect(view.alternatives.map((a: any) => a.participant_count)).toEqual([21, 21]);
    });

    it('reports weights and the winner in /experiments/NAME, and a detected winner takes new participants', async () => {
      await record('win', 'control', 60, 3);
      await record('win', 'treat', 60, 30);
      const plain = (await sp.get('/experiments/win')).json;
      expect(plain.bandit).toBeUndefined();
      await sp.send('POST', '/_admin/experiments/win', { bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.2 } } });
      let view = (await sp.get('/experiments/win')).json;
      expect(view.bandit).toEqual({ policy: 'epsilon-greedy', params: { epsilon: 0.2 }, weights: { control: 0.1, treat: 0.9 }, winner: null, p_value: null });
      await sp.send('POST', '/_admin/experiments/win', { bandit: { policy: 'epsilon-greedy', params: { epsilon: 0.2 }, winner: { minParticipants: 100 } } });
      view = (await sp.get('/experiments/win')).json;
      expect(view.bandit.winner).toBe('treat');
      expect(view.bandit.p_value).toBeLessThan(0.05);
      expect(view.bandit.weights).toEqual({ control: 0, treat: 1 });
      for (let i = 0; i < 5; i++) {
        rng.push(0); // the traffic draw only: a detected winner needs no policy draw
        expect(chosen(await participate('win', `w${i}`))).toBe('treat');
      }
      expect(rng.pending()).toBe(0);
    });
  });

  describe('a Thompson bandit server over many participants', () => {
    let seeded: RunningSixpack;
    beforeAll(async () => {
      seeded = await startSixpack({ random: mulberry32(7) });
    });
    afterAll(() => seeded.close());

    it('matches chooseArm with the same RNG stream and shifts traffic to the better arm', async () => {
      const name = 'ts';
      const part = (id: string, extra: Record<string, string> = {}) =>
        seeded.get('/participate', { experiment: name, alternatives: ALTS, client_id: id, ...extra });
      for (let i = 0; i < 30; i++) {
        await part(`c${i}`, { force: 'control', record_force: 'true' });
        await part(`t${i}`, { force: 'treat', record_force: 'true' });
        if (i < 15) await seeded.get('/convert', { experiment: name, client_id: `t${i}` });
        if (i < 3) await seeded.get('/convert', { experiment: name, client_id: `c${i}` });
      }
      await seeded.send('POST', `/_admin/experiments/${name}`, { bandit: { policy: 'thompson' } });
      // Replay the server's RNG: one traffic draw, then the policy's draws, per new participant.
      const mirror = mulberry32(7);
      const stats = [
        { participants: 30, conversions: 3 },
        { participants: 30, conversions: 15 },
      ];
      const served: string[] = [];
      for (let i = 0; i < 40; i++) {
        const alt = chosen(await part(`n${i}`));
        served.push(alt);
        mirror();
        expect(alt).toBe(ALTS[chooseArm('thompson', stats, { random: mirror })]);
        stats[ALTS.indexOf(alt)]!.participants++;
      }
      expect(served.filter((a) => a === 'treat').length).toBeGreaterThan(32);
    });
  });
});
