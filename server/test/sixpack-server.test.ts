/**
 * The example Sixpack-compatible server over real HTTP, against the contract in
 * shared/specs/sixpack-protocol.md: every behaviour a client can observe. The whole suite runs
 * against the memory store and against the Redis store on a real redis-server.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clientFor,
  describeEachStore,
  type RunningSixpack,
  scriptedRandom,
  sixpackIndex,
  startSixpack,
} from '../../test/helpers/sixpack-server';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'Origin, ...',
  'access-control-allow-credentials': 'true',
  'access-control-allow-methods': 'GET',
  'access-control-expose-headers': '...',
};

describeEachStore((makeStore) => {
  const rng = scriptedRandom();
  let sp: RunningSixpack;

  beforeAll(async () => {
    sp = await startSixpack({
      store: await makeStore(),
      ignoredIps: ['192.0.2.1'],
      random: rng.random,
      now: () => new Date('2026-11-21T04:23:45Z'),
      backfillDays: 10_000, // the per-day tests date visits in 2014
    });
  });
  afterAll(() => sp.close());
  beforeEach(() => {
    expect(rng.pending()).toBe(0); // a test left scripted draws unused
  });

  let seq = 0;
  /** A fresh experiment name per test, so tests share one server without interfering. */
  const fresh = (base: string) => `${base}-${++seq}`;

  const participate = (experiment: string, alternatives: string[], client_id: string, extra: Record<string, string> = {}) =>
    sp.get('/participate', { experiment, alternatives, client_id, ...extra });
  const convert = (experiment: string, client_id: string, extra: Record<string, string> = {}) =>
    sp.get('/convert', { experiment, client_id, ...extra });
  const details = (experiment: string, query: Record<string, string> = {}) =>
    sp.get(`/experiments/${encodeURIComponent(experiment)}`, query);
  const admin = (experiment: string, body: unknown) => sp.send('POST', `/_admin/experiments/${experiment}`, body);
  const chosen = (r: { json: any }) => r.json.alternative.name as string;
  const counts = async (experiment: string) => {
    const d = (await details(experiment)).json;
    return {
      participants: Object.fromEntries(d.alternatives.map((a: any) => [a.name, a.participant_count])),
      total: d.total_participants as number,
      excluded: d.excluded_clients as number,
      conversions: d.total_conversions as number,
    };
  };

  describe('participate', () => {
    it('answers the reference bytes, and the first call creates the experiment', async () => {
      const r = await participate('button-color', ['red', 'blue'], 'alice');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(r.text).toBe(
        '{"status": "ok", "alternative": {"name": "blue"}, "experiment": {"name": "button-color"}, "client_id": "alice"}',
      );
      const d = await details('button-color');
      expect(d.status).toBe(200);
      expect(d.json.created_at).toBe('2026-11-21 04:23');
      expect(d.json.alternatives.map((a: any) => a.name)).toEqual(['red', 'blue']);
    });

    it("assigns with Sixpack's hash: sha1('button-color.alice') starts 28bba8f, 42711695 % 2 = 1 → blue", async () => {
      expect(parseInt('28bba8f', 16)).toBe(42711695);
      expect(sixpackIndex('button-color', 'alice', 2)).toBe(1);
      const exp = fresh('hash');
      const alts = ['a', 'b', 'c'];
      for (let i = 0; i < 12; i++) {
        const r = await participate(exp, alts, `user${i}`);
        expect(chosen(r)).toBe(alts[sixpackIndex(exp, `user${i}`, 3)]);
      }
    });

    it('is sticky: repeat calls return the same alternative and count once', async () => {
      const exp = fresh('sticky');
      const first = chosen(await participate(exp, ['red', 'blue'], 'bob'));
      for (let i = 0; i < 3; i++) expect(chosen(await participate(exp, ['red', 'blue'], 'bob'))).toBe(first);
      expect((await counts(exp)).total).toBe(1);
    });

    it('needs experiment and client_id (checked first); an empty client_id is accepted', async () => {
      const missing = '{"status": "failed", "message": "missing arguments"}';
      for (const q of [
        { alternatives: ['a', 'b'], client_id: 'x' },
        { experiment: fresh('m'), alternatives: ['a', 'b'] },
        { alternatives: ['bad name'], traffic_fraction: '7' }, // missing wins over every other error
      ]) {
        const r = await sp.get('/participate', q);
        expect(r.status).toBe(400);
        expect(r.text).toBe(missing);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
      }
      const r = await participate(fresh('empty-id'), ['a', 'b'], '');
      expect(r.status).toBe(200);
      expect(r.json.client_id).toBe('');
    });

    it('needs at least two alternatives, as a repeated parameter', async () => {
      const msg = 'experiments require at least two alternatives';
      for (const query of [
        { experiment: fresh('few'), client_id: 'x' },
        { experiment: fresh('few'), client_id: 'x', alternatives: ['red'] },
        { experiment: fresh('few'), client_id: 'x', 'alternatives[]': ['red', 'blue'] },
      ]) {
        const r = await sp.get('/participate', query);
        expect([r.status, r.json.message]).toEqual([400, msg]);
      }
      // `red,blue` is one (invalid) alternative name, and still fewer than two.
      const r = await sp.get('/participate', { experiment: fresh('few'), client_id: 'x', alternatives: 'red,blue' });
      expect(r.json.message).toBe(msg);
    });

    it('rejects invalid alternative names (no spaces, no leading dash, not empty)', async () => {
      for (const bad of ['bl ue', '-blue', '', 'a.b']) {
        const exp = fresh('altname');
        const r = await participate(exp, ['red', bad], 'x');
        expect(r.status).toBe(400);
        expect(r.text).toBe('{"status": "failed", "message": "invalid alternative name"}');
        expect((await details(exp)).status).toBe(404); // not created
      }
      expect((await participate(fresh('altname'), ['Red_1', 'BLUE-2'], 'x')).status).toBe(200);
    });

    it('rejects duplicate alternatives before creating anything (the reference accepted them)', async () => {
      for (const alts of [['red', 'red'], ['red', 'blue', 'red']]) {
        const exp = fresh('dups');
        const r = await participate(exp, alts, 'x');
        expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "alternatives must be distinct"}']);
        expect((await details(exp)).status).toBe(404);
      }
    });

    it('rejects a changed alternatives list, ignoring order; the stored order stays', async () => {
      const exp = fresh('changed');
      const alice = clientFor(exp, ['red', 'blue'], 1);
      expect(chosen(await participate(exp, ['red', 'blue'], alice))).toBe('blue');
      const msg = '{"status": "failed", "message": "experiment alternatives have changed. please delete in the admin"}';
      for (const alts of [['red', 'green'], ['red', 'blue', 'green'], ['blue', 'green']]) {
        const r = await participate(exp, alts, alice);
        expect([r.status, r.text]).toEqual([400, msg]);
      }
      expect(chosen(await participate(exp, ['blue', 'red'], alice))).toBe('blue');
      // Control and hash order come from the stored list: a newcomer sending the reversed list
      // gets the same alternative as with the original order.
      const other = clientFor(exp, ['red', 'blue'], 0, 'o');
      expect(chosen(await participate(exp, ['blue', 'red'], other))).toBe('red');
      expect((await details(exp)).json.alternatives[0].is_control).toBe(true);
    });

    it('validates experiment names with CLIENTSPEC rule (the reference accepted anything)', async () => {
      for (const bad of ['Bad Name!', '%%', 'UPPER.case:x', '-leading', '', ' x']) {
        const r = await participate(bad, ['a', 'b'], 'x');
        expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "invalid experiment name"}']);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
      }
      const spaced = fresh('button color');
      expect((await participate(spaced, ['a', 'b'], 'x')).status).toBe(200);
      expect((await details(spaced)).json.name).toBe(spaced);
      expect((await participate(fresh('Upper_Case'), ['a', 'b'], 'x')).status).toBe(200);
    });

    it('escapes non-ASCII like Python json.dumps', async () => {
      const r = await participate(fresh('ascii'), ['a', 'b'], 'zoë😀');
      expect(r.text).toContain('"client_id": "zo\\u00eb\\ud83d\\ude00"');
      expect(r.json.client_id).toBe('zoë😀');
    });

    it('reads only the query string, whatever the method', async () => {
      const exp = fresh('post');
      const form = await fetch(`${sp.url}/participate`, {
        method: 'POST',
        body: new URLSearchParams({ experiment: exp, alternatives: 'a', client_id: 'x' }),
      });
      expect(form.status).toBe(400);
      expect(await form.text()).toBe('{"status": "failed", "message": "missing arguments"}');
      const query = await fetch(`${sp.url}/participate?experiment=${exp}&alternatives=a&alternatives=b&client_id=x`, {
        method: 'POST',
      });
      expect(query.status).toBe(200);
    });
  });

  describe('traffic fraction', () => {
    it('rejects values outside (0, 1] without creating the experiment', async () => {
      for (const tf of ['0', '1.5', '-1', 'nan', 'inf']) {
        const exp = fresh('tf');
        const r = await participate(exp, ['a', 'b'], 'x', { traffic_fraction: tf });
        expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "invalid traffic fraction range"}']);
        expect((await details(exp)).status).toBe(404);
      }
    });

    it('answers a JSON 400 for an unparsable value (the reference: HTML 500)', async () => {
      for (const tf of ['abc', '', '0x1', '1/2']) {
        const r = await participate(fresh('tf'), ['a', 'b'], 'x', { traffic_fraction: tf });
        expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "invalid traffic fraction"}']);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
      }
    });

    it('excludes clients at random (control, not counted) and the exclusion is sticky', async () => {
      const exp = fresh('fraction');
      const alts = ['red', 'blue'];
      // Excluded when random() >= 0.3: six of these eight.
      rng.push(0.9, 0.1, 0.5, 0.3, 0.29, 0.7, 0.8, 0.95);
      const answers: string[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await participate(exp, alts, `v${i}`, { traffic_fraction: '0.3' });
        expect(r.status).toBe(200);
        answers.push(chosen(r));
      }
      const included = [1, 4];
      for (let i = 0; i < 8; i++) {
        if (!included.includes(i)) expect(answers[i]).toBe('red');
        else expect(answers[i]).toBe(alts[sixpackIndex(exp, `v${i}`, 2)]);
      }
      let c = await counts(exp);
      expect([c.total, c.excluded]).toEqual([2, 6]);
      expect((await details(exp)).json.traffic_fraction).toBe(0.3);

      // Sticky: no new draw (the scripted queue is empty), still control, even with the fraction reset to 1.
      for (const i of [0, 2, 3]) {
        expect(chosen(await participate(exp, alts, `v${i}`))).toBe('red');
        const conv = await convert(exp, `v${i}`);
        expect([conv.status, conv.json.message]).toEqual([400, 'this client was not participating']);
      }
      c = await counts(exp);
      expect([c.total, c.excluded, c.conversions]).toEqual([2, 6, 0]);
    });

    it('is rewritten on every call; leaving it out resets it to 1.0', async () => {
      const exp = fresh('rewrite');
      await participate(exp, ['a', 'b'], 'x', { traffic_fraction: '0.5' });
      expect((await details(exp)).json.traffic_fraction).toBe(0.5);
      await participate(exp, ['a', 'b'], 'x');
      const d = await details(exp);
      expect(d.text).toContain('"traffic_fraction": 1.0');
    });
  });

  describe('force', () => {
    it('returns a listed alternative without recording it, unless record_force is true/yes/y', async () => {
      const exp = fresh('force');
      const alts = ['red', 'blue'];
      for (const rf of [undefined, '1', 'false']) {
        const r = await participate(exp, alts, 'f1', rf === undefined ? { force: 'blue' } : { force: 'blue', record_force: rf });
        expect(chosen(r)).toBe('blue');
      }
      expect((await counts(exp)).total).toBe(0);
      expect((await convert(exp, 'f1')).status).toBe(400);

      for (const [i, rf] of ['true', 'YES', 'y'].entries()) {
        expect(chosen(await participate(exp, alts, `r${i}`, { force: 'red', record_force: rf }))).toBe('red');
      }
      expect((await counts(exp)).participants).toEqual({ red: 3, blue: 0 });
      expect(chosen(await convert(exp, 'r0'))).toBe('red');
    });

    it('ignores a value that is not in the list (a normal, recorded assignment)', async () => {
      const exp = fresh('force-bad');
      const r = await participate(exp, ['red', 'blue'], 'g1', { force: 'green' });
      expect(chosen(r)).toBe(['red', 'blue'][sixpackIndex(exp, 'g1', 2)]);
      expect((await counts(exp)).total).toBe(1);
    });

    it('records a forced client in both alternatives; it converts as the first stored one', async () => {
      const exp = fresh('force-both');
      const alts = ['red', 'blue'];
      const inRed = clientFor(exp, alts, 0);
      const inBlue = clientFor(exp, alts, 1);
      expect(chosen(await participate(exp, alts, inRed))).toBe('red');
      expect(chosen(await participate(exp, alts, inBlue))).toBe('blue');
      expect(chosen(await participate(exp, alts, inRed, { force: 'blue', record_force: 'true' }))).toBe('blue');
      const c = await counts(exp);
      expect(c.participants).toEqual({ red: 1, blue: 2 });
      expect(c.total).toBe(2);
      expect(chosen(await participate(exp, alts, inRed))).toBe('red');
      expect(chosen(await convert(exp, inRed))).toBe('red');
    });

    it('beats winner, archived, paused and disabled', async () => {
      const exp = fresh('force-wins');
      const alts = ['red', 'blue'];
      await participate(exp, alts, 'x');
      const patches = [
        { winner: 'red' },
        { winner: null, archived: true },
        { archived: false, paused: true },
        { paused: false, enabled: false },
      ];
      for (const patch of patches) {
        expect((await admin(exp, patch)).status).toBe(200);
        expect(chosen(await participate(exp, alts, 'y', { force: 'blue' }))).toBe('blue');
      }
    });
  });

  describe('prefetch', () => {
    it('returns the assignment without recording it; a later convert is refused', async () => {
      const exp = fresh('prefetch');
      const alts = ['red', 'blue'];
      const r = await participate(exp, alts, 'p1', { prefetch: 'true' });
      expect(chosen(r)).toBe(alts[sixpackIndex(exp, 'p1', 2)]);
      expect((await counts(exp)).total).toBe(0);
      const conv = await convert(exp, 'p1');
      expect([conv.status, conv.text]).toEqual([400, '{"status": "failed", "message": "this client was not participating"}']);
      // A real participation afterwards is recorded, with the same alternative.
      expect(chosen(await participate(exp, alts, 'p1'))).toBe(chosen(r));
      expect((await convert(exp, 'p1')).status).toBe(200);
    });
  });

  describe('bots and ignored IPs', () => {
    it('gives a bot the control with nothing recorded, even for a client assigned earlier', async () => {
      const exp = fresh('bots');
      const alts = ['red', 'blue'];
      const human = clientFor(exp, alts, 1, 'human');
      expect(chosen(await participate(exp, alts, human))).toBe('blue');
      const bots = [
        'curl/8.0',
        'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        'python-requests/2.31',
        'Wget/1.21',
        'Java/17',
        'Googlebot%2F2.1',
        '', // the regex's leading `$^` matches an empty user agent
      ];
      for (const ua of bots) {
        const r = await participate(exp, alts, human, { user_agent: ua });
        expect([r.status, chosen(r)]).toEqual([200, 'red']);
        const fresh1 = await participate(exp, alts, `bot-${ua}`, { user_agent: ua });
        expect(chosen(fresh1)).toBe('red');
      }
      expect((await counts(exp)).total).toBe(1);
      // The alternatives are not checked for a bot.
      expect((await participate(exp, ['only-one'], 'b', { user_agent: 'bot' })).status).toBe(200);
      // A real browser is not a bot.
      const browser = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
      expect(chosen(await participate(exp, alts, human, { user_agent: browser }))).toBe('blue');
    });

    it('gives a bot the winner when one is set', async () => {
      const exp = fresh('bot-winner');
      await participate(exp, ['red', 'blue'], 'x');
      await admin(exp, { winner: 'blue' });
      expect(chosen(await participate(exp, ['red', 'blue'], 'y', { user_agent: 'curl/8.0' }))).toBe('blue');
    });

    it('needs an existing experiment for a bot', async () => {
      const exp = fresh('bot-new');
      const r = await participate(exp, ['red', 'blue'], 'x', { user_agent: 'Googlebot' });
      expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "experiment does not exist"}']);
    });

    it('treats an ignored IP (exact match) like a bot', async () => {
      const exp = fresh('ip');
      const alts = ['red', 'blue'];
      const inBlue = clientFor(exp, alts, 1);
      expect(chosen(await participate(exp, alts, inBlue))).toBe('blue');
      expect(chosen(await participate(exp, alts, inBlue, { ip_address: '192.0.2.1' }))).toBe('red');
      expect(chosen(await participate(exp, alts, inBlue, { ip_address: '192.0.2.2' }))).toBe('blue');
      expect(chosen(await participate(exp, alts, 'n1', { ip_address: 'not-an-ip' }))).toBe(alts[sixpackIndex(exp, 'n1', 2)]);
      expect((await counts(exp)).total).toBe(2);
      const conv = await convert(exp, inBlue, { ip_address: '192.0.2.1' });
      expect([conv.status, conv.text]).toEqual([200, '{"status": "ok", "excluded": "true"}']);
      expect((await counts(exp)).conversions).toBe(0);
    });
  });

  describe('convert', () => {
    it('answers the reference bytes, counts once per client per KPI', async () => {
      const exp = fresh('conv');
      const alts = ['red', 'blue'];
      const alice = clientFor(exp, alts, 1, 'alice');
      await participate(exp, alts, alice);
      const r = await convert(exp, alice);
      expect(r.status).toBe(200);
      expect(r.text).toBe(
        `{"status": "ok", "alternative": {"name": "blue"}, "experiment": {"name": "${exp}"}, ` +
          `"conversion": {"value": null, "kpi": null}, "client_id": "${alice}"}`,
      );
      expect((await convert(exp, alice)).text).toBe(r.text);
      const k = await convert(exp, alice, { kpi: 'purchase' });
      expect(k.json.conversion).toEqual({ value: null, kpi: 'purchase' });
      await convert(exp, alice, { kpi: 'purchase' });

      const d = (await details(exp)).json;
      expect(d.total_conversions).toBe(1);
      expect(d.alternatives[1].completed_count).toBe(1);
      expect(d.kpis).toEqual(['purchase']);
      const dk = (await details(exp, { kpi: 'purchase' })).json;
      expect([dk.kpi, dk.total_conversions, dk.alternatives[1].completed_count]).toEqual(['purchase', 1, 1]);
      expect((await details(exp, { kpi: 'signup' })).status).toBe(404);
    });

    it('rejects invalid KPI names', async () => {
      const exp = fresh('kpi');
      await participate(exp, ['a', 'b'], 'x');
      for (const kpi of ['bad kpi', '-bad', '']) {
        const r = await convert(exp, 'x', { kpi });
        expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "invalid kpi name"}']);
      }
    });

    it('refuses a client that never participated, and an unknown experiment', async () => {
      const exp = fresh('conv-none');
      await participate(exp, ['a', 'b'], 'x');
      let r = await convert(exp, 'stranger');
      expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "this client was not participating"}']);
      r = await convert(fresh('nope'), 'x');
      expect([r.status, r.text]).toEqual([400, '{"status": "failed", "message": "experiment does not exist"}']);
    });

    it('runs its checks in the reference order', async () => {
      const excluded = '{"status": "ok", "excluded": "true"}';
      // 1. bot / ignored IP first: even without arguments or experiment.
      expect((await sp.get('/convert', { user_agent: 'curl/8.0' })).text).toBe(excluded);
      expect((await sp.get('/convert', { ip_address: '192.0.2.1', experiment: fresh('none'), client_id: 'x' })).text).toBe(excluded);
      expect((await sp.get('/convert', { user_agent: '', experiment: 'Bad Name!' })).text).toBe(excluded);
      // 2. missing arguments before an unknown experiment.
      expect((await sp.get('/convert', { experiment: fresh('none') })).json.message).toBe('missing arguments');
      expect((await sp.get('/convert', { client_id: 'x' })).json.message).toBe('missing arguments');
      // 3. unknown experiment.
      expect((await convert(fresh('none'), 'x')).json.message).toBe('experiment does not exist');
      // 4–6. archived before paused before not participating.
      const exp = fresh('order');
      await participate(exp, ['a', 'b'], 'in');
      await admin(exp, { archived: true, paused: true });
      expect((await convert(exp, 'stranger')).json.message).toBe('this experiment is archived and can no longer be updated');
      await admin(exp, { archived: false });
      expect((await convert(exp, 'stranger')).json.message).toBe('this experiment is paused and can not receive updates.');
      await admin(exp, { paused: false });
      expect((await convert(exp, 'stranger')).json.message).toBe('this client was not participating');
      // The KPI name is checked after participation, as in the reference.
      expect((await convert(exp, 'stranger', { kpi: 'bad kpi' })).json.message).toBe('this client was not participating');
      expect((await convert(exp, 'in')).status).toBe(200);
    });

    it('answers a JSON 400 for a garbage datetime (the reference: HTML 500)', async () => {
      const exp = fresh('dt');
      await participate(exp, ['a', 'b'], 'x');
      for (const datetime of ['garbage', '2014-13-01', '2014-02-30', '2014-03-05T25:00']) {
        const r = await convert(exp, 'x', { datetime });
        expect([r.status, r.text]).toEqual([400, expect.stringContaining('"message": "invalid datetime')]);
        const p = await participate(exp, ['a', 'b'], 'x', { datetime });
        expect(p.status).toBe(400);
      }
    });
  });

  describe('winner, archive, pause, enabled (admin endpoint)', () => {
    it('serves the winner to everyone, records nothing, and credits conversions to the original alternative', async () => {
      const exp = fresh('winner');
      const alts = ['red', 'blue'];
      const w1 = clientFor(exp, alts, 0, 'w');
      expect(chosen(await participate(exp, alts, w1))).toBe('red');
      const set = await admin(exp, { winner: 'blue' });
      expect(set.json.experiment.winner).toBe('blue');
      expect(chosen(await participate(exp, alts, w1))).toBe('blue');
      expect(chosen(await participate(exp, alts, 'newcomer'))).toBe('blue');
      expect((await counts(exp)).total).toBe(1);
      expect(chosen(await convert(exp, w1))).toBe('red');
      expect((await convert(exp, 'newcomer')).json.message).toBe('this client was not participating');
      const d = (await details(exp)).json;
      expect([d.has_winner, d.winner, d.alternatives[1].is_winner, d.alternatives[0].is_winner]).toEqual([true, 'blue', true, false]);

      expect((await admin(exp, { winner: 'green' })).json.message).toBe('this alternative is not in this experiment');
      await admin(exp, { winner: null });
      expect(chosen(await participate(exp, alts, w1))).toBe('red');
    });

    it('serves the control when archived or paused, recording nothing', async () => {
      for (const flag of ['archived', 'paused'] as const) {
        const exp = fresh(flag);
        const alts = ['red', 'blue'];
        const inBlue = clientFor(exp, alts, 1);
        expect(chosen(await participate(exp, alts, inBlue))).toBe('blue');
        await admin(exp, { [flag]: true });
        expect(chosen(await participate(exp, alts, inBlue))).toBe('red');
        expect(chosen(await participate(exp, alts, clientFor(exp, alts, 1, 'late')))).toBe('red');
        expect((await counts(exp)).total).toBe(1);
        const d = (await details(exp)).json;
        expect([d.is_archived, d.is_paused]).toEqual([flag === 'archived', flag === 'paused']);
        await admin(exp, { [flag]: false });
        expect(chosen(await participate(exp, alts, inBlue))).toBe('blue');
      }
    });

    it('with enabled: false, serves and converts as the control for anyone, recording nothing', async () => {
      const exp = fresh('disabled');
      const alts = ['red', 'blue'];
      await admin(exp, { enabled: false }).then((r) => expect(r.status).toBe(404));
      const inBlue = clientFor(exp, alts, 1);
      await participate(exp, alts, inBlue);
      await admin(exp, { enabled: false });
      expect(chosen(await participate(exp, alts, inBlue))).toBe('red');
      expect(chosen(await participate(exp, alts, 'other'))).toBe('red');
      const conv = await convert(exp, 'never-seen');
      expect([conv.status, chosen(conv)]).toEqual([200, 'red']);
      const c = await counts(exp);
      expect([c.total, c.conversions]).toEqual([1, 0]);
      expect((await details(exp)).json.is_enabled).toBe(false);
    });

    it('validates admin bodies, reads, lists and deletes', async () => {
      const exp = fresh('admin');
      await participate(exp, ['red', 'blue'], 'x');
      for (const body of ['not json', '[]', { archived: 'yes' }, { colour: 'red' }]) {
        const r = await admin(exp, body);
        expect(r.status).toBe(400);
        expect(r.json.status).toBe('failed');
      }
      const desc = await admin(exp, { description: 'Which button?' });
      expect(desc.json.experiment.description).toBe('Which button?');
      expect((await details(exp)).json.description).toBe('Which button?');
      expect((await sp.get(`/_admin/experiments/${exp}`)).json.experiment.alternatives).toEqual(['red', 'blue']);
      expect((await sp.get('/_admin/experiments')).json.experiments).toContain(exp);
      expect((await sp.send('PUT', `/_admin/experiments/${exp}`)).status).toBe(405);

      expect((await sp.send('DELETE', `/_admin/experiments/${exp}`)).text).toBe('{"status": "ok"}');
      expect((await details(exp)).status).toBe(404);
      expect((await sp.send('DELETE', `/_admin/experiments/${exp}`)).status).toBe(404);
      // Deleted: it can come back with other alternatives.
      expect((await participate(exp, ['red', 'green'], 'x')).status).toBe(200);
    });
  });

  describe('/experiments/NAME', () => {
    async function seed(exp: string) {
      // control 9/89, variant 27/111, through recorded forces.
      for (let i = 0; i < 89; i++) await participate(exp, ['control', 'variant'], `c${i}`, { force: 'control', record_force: 'true' });
      for (let i = 0; i < 111; i++) await participate(exp, ['control', 'variant'], `v${i}`, { force: 'variant', record_force: 'true' });
      for (let i = 0; i < 9; i++) await convert(exp, `c${i}`);
      for (let i = 0; i < 27; i++) await convert(exp, `v${i}`);
    }

    it("reproduces the spec's example: control 9/89, variant 27/111 → G 7.09, 99% Confidence, CI 5.21", async () => {
      const exp = fresh('stats');
      await seed(exp);
      const r = await details(exp);
      expect(r.status).toBe(200);
      const [control, variant] = r.json.alternatives;
      expect(control).toMatchObject({
        name: 'control',
        is_control: true,
        is_winner: null,
        participant_count: 89,
        completed_count: 9,
        conversion_rate: 10.11,
        test_statistic: 'N/A',
        confidence_level: 'N/A',
      });
      expect(variant).toMatchObject({
        name: 'variant',
        is_control: false,
        participant_count: 111,
        completed_count: 27,
        conversion_rate: 24.32,
        test_statistic: 7.09,
        confidence_level: '99% Confidence',
      });
      expect(variant.confidence_interval).toBeCloseTo(5.2125115, 6); // unrounded
      expect(Number(variant.confidence_interval.toFixed(2))).toBe(5.21);
      expect(r.json).toMatchObject({
        status: 'ok',
        name: exp,
        period: 'day',
        total_participants: 200,
        total_conversions: 36,
        excluded_clients: 0,
        kpi: null,
        kpis: [],
        has_winner: false,
        winner: '',
      });
      expect(r.text).toContain('"test_statistic": 7.09');
      expect(r.text).toContain('"data": [{"conversions": 27.0, "date": "2026-11-21", "participants": 111.0}]');
      // `.json` (sixpack-web's form) is the same object.
      expect((await sp.get(`/experiments/${exp}.json`)).json).toEqual(r.json);
    });

    it('shows "N/A" below 20 conversions and "No Change" when a cell is empty', async () => {
      const exp = fresh('small');
      for (let i = 0; i < 4; i++) await participate(exp, ['a', 'b'], `a${i}`, { force: 'a', record_force: 'y' });
      for (let i = 0; i < 4; i++) await participate(exp, ['a', 'b'], `b${i}`, { force: 'b', record_force: 'y' });
      await convert(exp, 'a0');
      let b = (await details(exp)).json.alternatives[1];
      expect([b.test_statistic, b.confidence_level, b.conversion_rate, b.confidence_interval]).toEqual(['N/A', 'N/A', 0, 0]);
      expect((await details(exp)).json.alternatives[0].conversion_rate).toBe(25);

      const full = fresh('full');
      for (let i = 0; i < 20; i++) await participate(full, ['a', 'b'], `a${i}`, { force: 'a', record_force: 'y' });
      for (let i = 0; i < 20; i++) await participate(full, ['a', 'b'], `b${i}`, { force: 'b', record_force: 'y' });
      for (let i = 0; i < 20; i++) await convert(full, `a${i}`); // control: every participant converted
      b = (await details(full)).json.alternatives[1];
      expect([b.test_statistic, b.confidence_level]).toEqual([0, 'No Change']);
    });

    it('keeps per-day data from the datetime parameter, and sums it by month and year', async () => {
      const exp = fresh('dated');
      const alts = ['red', 'blue'];
      const inBlue = clientFor(exp, alts, 1);
      const inRed = clientFor(exp, alts, 0);
      await participate(exp, alts, inBlue, { datetime: '2014-03-05' });
      await participate(exp, alts, inRed, { datetime: '2014-04-01T23:30:00-05:00' });
      await convert(exp, inBlue, { datetime: '2014-03-07T10:00:00Z' });

      const day = (await details(exp, { period: 'day' })).json;
      const blue = day.alternatives[1];
      expect(blue.data).toEqual([
        { conversions: 0, date: '2014-03-05', participants: 1 },
        { conversions: 1, date: '2014-03-07', participants: 0 },
        { conversions: 0, date: '2014-04-01', participants: 0 },
      ]);
      expect(day.alternatives[0].data[2]).toEqual({ conversions: 0, date: '2014-04-01', participants: 1 });
      const text = (await details(exp, { period: 'day' })).text;
      // Floats where the date is in the metric's set, integer 0 where it is not, as the reference.
      expect(text).toContain('{"conversions": 0, "date": "2014-03-05", "participants": 1.0}');
      expect(text).toContain('{"conversions": 1.0, "date": "2014-03-07", "participants": 0}');

      const month = (await details(exp, { period: 'month' })).json;
      expect(month.period).toBe('month');
      expect(month.alternatives[1].data).toEqual([
        { conversions: 1, date: '2014-03', participants: 1 },
        { conversions: 0, date: '2014-04', participants: 0 },
      ]);
      const year = (await details(exp, { period: 'year' })).json;
      expect(year.alternatives.map((a: any) => a.data)).toEqual([
        [{ conversions: 0, date: '2014', participants: 1 }],
        [{ conversions: 1, date: '2014', participants: 1 }],
      ]);
      const week = await details(exp, { period: 'week' });
      expect([week.status, week.json.status]).toEqual([400, 'failed']);
    });

    it('answers JSON 404s: unknown name, trailing slash', async () => {
      const r = await details(fresh('unknown'));
      expect([r.status, r.text]).toEqual([404, '{"status": "failed", "message": "experiment not found"}']);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect((await sp.get(`/experiments/${fresh('x')}.json`)).status).toBe(404);
      await participate('slash-exp', ['a', 'b'], 'x');
      const slash = await sp.get('/experiments/slash-exp/');
      expect([slash.status, slash.text]).toEqual([404, '{"status": "failed", "message": "not found"}']);
    });
  });

  describe('HTTP surface', () => {
    it('puts the CORS headers on every response, and answers OPTIONS with 200 "200 Ok"', async () => {
      const responses = [
        await sp.get('/_status'),
        await sp.get('/participate'),
        await sp.get('/nope'),
        await sp.get('/convert', { callback: 'cb' }),
        await sp.get('/'),
        await sp.get('/favicon.ico'),
        await details(fresh('none')),
      ];
      for (const r of responses) {
        for (const [name, value] of Object.entries(CORS)) expect(r.headers.get(name)).toBe(value);
      }
      for (const path of ['/participate', '/anything/at/all']) {
        const r = await sp.send('OPTIONS', path);
        expect([r.status, r.text, r.headers.get('content-type')]).toEqual([200, '200 Ok', 'text/plain']);
        for (const [name, value] of Object.entries(CORS)) expect(r.headers.get(name)).toBe(value);
      }
    });

    it('answers /_status, / and /favicon.ico as the reference', async () => {
      expect((await sp.get('/_status')).text).toBe('{"status": "ok", "version": "2.7.0"}');
      const home = await sp.get('/');
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(home.text).toContain('( C>  )( C>  )( C>  ))');
      const icon = await sp.get('/favicon.ico');
      expect([icon.status, icon.text]).toEqual([200, '']);
    });

    it('answers a JSON 404 for unknown paths', async () => {
      for (const path of ['/nope', '/participate/', '/experiments', '/experiments/', '//participate', '/%E0%A4%A']) {
        const r = await sp.get(path);
        expect([r.status, r.text]).toEqual([404, '{"status": "failed", "message": "not found"}']);
        expect(r.headers.get('content-type')).toBe('application/json');
      }
    });

    it('wraps JSON for a valid JSONP callback, keeping the status code', async () => {
      const exp = fresh('jsonp');
      const ok = await participate(exp, ['a', 'b'], 'x', { callback: 'sixpack.callback1' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/javascript');
      const alt = ['a', 'b'][sixpackIndex(exp, 'x', 2)];
      expect(ok.text).toBe(
        `sixpack.callback1({"status": "ok", "alternative": {"name": "${alt}"}, "experiment": {"name": "${exp}"}, "client_id": "x"})`,
      );
      const bad = await sp.get('/convert', { experiment: exp, client_id: 'nobody', callback: 'cb' });
      expect([bad.status, bad.text]).toEqual([400, 'cb({"status": "failed", "message": "this client was not participating"})']);
      const nf = await sp.get('/nope', { callback: 'cb' });
      expect([nf.status, nf.text]).toEqual([404, 'cb({"status": "failed", "message": "not found"})']);

      for (const cb of ['_x', '$', 'a.b_c.$d', 'jQuery123_456']) {
        const r = await sp.get('/_status', { callback: cb });
        expect(r.text).toBe(`${cb}({"status": "ok", "version": "2.7.0"})`);
      }
      // Plain identifiers and dotted paths only: the reference also took digits first, `'` and `-`.
      for (const cb of ['alert(1)', '.x', '', 'cb\n', 'é', '1abc', "a'b-c.d_e", "self-'", 'a..b', 'a.', 'x'.repeat(129)]) {
        const r = await sp.get('/_status', { callback: cb });
        expect(r.text).toBe('{"status": "ok", "version": "2.7.0"}');
        expect(r.headers.get('content-type')).toBe('application/json');
      }
    });

    it('echoes an allowed origin for a wildcard corsOrigin, and close() ends keep-alive connections', async () => {
      const other = await startSixpack({ corsOrigin: 'https://*.example.com' });
      const allowed = await other.get('/_status', {}, { headers: { origin: 'https://app.example.com' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const denied = await other.get('/_status', {}, { headers: { origin: 'https://app.example.com.evil.net' } });
      expect(denied.headers.get('access-control-allow-origin')).toBe('null');
      const started = Date.now();
      await other.close(); // fetch keeps its socket alive; close must not wait for the 5 s keep-alive timeout
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(fetch(`${other.url}/_status`)).rejects.toThrow();
    });
  });
  describe('/experiments.json (sixpack-web\'s list)', () => {
    it('lists the full object of every experiment that is neither archived nor paused, by name', async () => {
      const own = await startSixpack({ store: await makeStore(), now: () => new Date('2026-11-21T04:23:45Z') });
      try {
        const empty = await own.get('/experiments.json');
        expect([empty.status, empty.text]).toEqual([200, '{"status": "ok", "experiments": []}']);
        for (const name of ['zeta', 'alpha', 'gone', 'held']) {
          await own.get('/participate', { experiment: name, alternatives: ['red', 'blue'], client_id: 'c1' });
        }
        await own.get('/participate', { experiment: 'alpha', alternatives: ['red', 'blue'], client_id: 'c2' });
        await own.get('/convert', { experiment: 'alpha', client_id: 'c2', kpi: 'buy' });
        await own.send('POST', '/_admin/experiments/gone', { archived: true });
        await own.send('POST', '/_admin/experiments/held', { paused: true });

        const list = await own.get('/experiments.json');
        expect(list.status).toBe(200);
        expect(list.json.experiments.map((e: any) => e.name)).toEqual(['alpha', 'zeta']);
        for (const entry of list.json.experiments) {
          const { status, ...one } = (await own.get(`/experiments/${entry.name}`)).json;
          expect(status).toBe('ok');
          expect(entry).toEqual(one);
        }
        expect(list.json.experiments[0]).toMatchObject({ total_participants: 2, kpis: ['buy'], period: 'day' });
        const month = await own.get('/experiments.json', { period: 'month' });
        expect(month.json.experiments[0].alternatives[0].data[0].date).toBe('2026-11');
        expect((await own.get('/experiments.json', { period: 'week' })).status).toBe(400);
        expect((await own.get('/experiments.json', { callback: 'cb' })).text).toMatch(/^cb\(\{"status": "ok", "experiments": \[/);
      } finally {
        await own.close();
      }
    });
  });

  describe('hostile requests', () => {
    /** A raw HTTP/1.1 request, for what fetch will not send; resolves with whatever came back before the close. */
    const raw = (target: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(sp.port, '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('error', () => undefined); // the server may close while we are still writing
        socket.on('close', () => resolve(answer));
        socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      });
    const names = async () => (await sp.get('/_admin/experiments')).json.experiments as string[];

    it("refuses the JSONP script gadget: callback=self-' with a client_id of ';alert(document.domain)//", async () => {
      const exp = fresh('gadget');
      const r = await sp.get('/participate', {
        experiment: exp,
        alternatives: ['a', 'b'],
        client_id: "';alert(document.domain)//",
        callback: "self-'",
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.text.startsWith('{"status": "ok"')).toBe(true);
      expect(r.json.client_id).toBe("';alert(document.domain)//");
    });

    it('wraps nothing but JSON: <, U+2028 and U+2029 are escaped inside a JSONP answer', async () => {
      const clientId = '</script><script>alert(1)</script><!--\u2028\u2029';
      const r = await participate(fresh('jsonp-escape'), ['a', 'b'], clientId, { callback: 'cb' });
      expect(r.headers.get('content-type')).toBe('application/javascript');
      const match = /^cb\((.*)\)$/s.exec(r.text);
      expect(match).not.toBeNull();
      const argument = match![1]!;
      expect(argument).not.toMatch(/[<\u2028\u2029]/);
      expect(argument).toContain('\\u003c/script>');
      expect(JSON.parse(argument).client_id).toBe(clientId);
    });

    it('refuses a cross-origin admin write: no-cors text/plain, a foreign Origin, Sec-Fetch-Site', async () => {
      const exp = fresh('csrf');
      await participate(exp, ['a', 'b'], 'x');
      const post = (headers: Record<string, string>, body = '{"winner":"b"}') =>
        fetch(`${sp.adminUrl}/_admin/experiments/${exp}`, { method: 'POST', headers, body });
      // What `fetch(url, {method: 'POST', mode: 'no-cors', body})` on another origin sends.
      const noCors = await post({ 'content-type': 'text/plain;charset=UTF-8', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      expect([noCors.status, (await noCors.json()).message]).toEqual([403, 'cross-origin admin requests are refused']);
      const foreign = await post({ 'content-type': 'application/json', origin: 'https://evil.example' });
      expect(foreign.status).toBe(403);
      const sandboxed = await post({ 'content-type': 'application/json', origin: 'null' });
      expect(sandboxed.status).toBe(403);
      const crossSite = await post({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' });
      expect(crossSite.status).toBe(403);
      const textPlain = await post({ 'content-type': 'text/plain' });
      expect([textPlain.status, (await textPlain.json()).message]).toEqual([415, 'admin bodies must be sent as Content-Type: application/json']);
      const form = await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'winner=b');
      expect(form.status).toBe(415);
      const del = await fetch(`${sp.adminUrl}/_admin/experiments/${exp}`, { method: 'DELETE', headers: { origin: 'https://evil.example' } });
      expect(del.status).toBe(403);
      expect((await details(exp)).json.winner).toBe('');

      // The same origin, and tools that send no Origin, may.
      const same = await post({ 'content-type': 'application/json; charset=utf-8', origin: sp.adminUrl, 'sec-fetch-site': 'same-origin' });
      expect(same.status).toBe(200);
      expect((await details(exp)).json.winner).toBe('b');
    });

    it('answers 400 for __proto__, valueOf, hasOwnProperty and other inherited names, and pollutes nothing', async () => {
      const exp = fresh('proto');
      await participate(exp, ['a', 'b'], 'x');
      for (const body of [
        '{"__proto__": {"winner": "b", "polluted": true}}',
        '{"valueOf": 1}',
        '{"hasOwnProperty": "x"}',
        '{"constructor": {"prototype": {"polluted": true}}}',
        '{"toString": null}',
      ]) {
        const r = await admin(exp, body);
        expect([r.status, r.json.message]).toEqual([400, `unknown field: ${Object.keys(JSON.parse(body))[0]}`]);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((await sp.get(`/_admin/experiments/${exp}`)).json.experiment).toMatchObject({ winner: null, archived: false });
      expect((await participate(exp, ['a', 'b'], 'y')).status).toBe(200);
    });

    it('refuses oversized names, ids and lists with a 400 before anything is written', async () => {
      const before = await names();
      const many = Array.from({ length: 150 }, (_, i) => `a${i}`);
      const cases: [Record<string, string | string[]>, string][] = [
        [{ experiment: fresh('many'), alternatives: many, client_id: 'x' }, 'too many alternatives (at most 100)'],
        [{ experiment: 'e'.repeat(129), alternatives: ['a', 'b'], client_id: 'x' }, 'experiment name too long (at most 128 characters)'],
        [{ experiment: fresh('long-alt'), alternatives: ['a', 'b'.repeat(129)], client_id: 'x' }, 'alternative name too long (at most 128 characters)'],
        [{ experiment: fresh('long-id'), alternatives: ['a', 'b'], client_id: 'c'.repeat(257) }, 'client_id too long (at most 256 characters)'],
      ];
      for (const [query, message] of cases) {
        const r = await sp.get('/participate', query);
        expect([r.status, r.json.message]).toEqual([400, message]);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
      }
      expect(await names()).toEqual(before);
      const exp = fresh('long-kpi');
      await participate(exp, ['a', 'b'], 'x');
      const kpi = await convert(exp, 'x', { kpi: 'k'.repeat(129) });
      expect([kpi.status, kpi.json.message]).toEqual([400, 'invalid kpi name']);
      const id = await convert(exp, 'c'.repeat(257));
      expect([id.status, id.json.message]).toEqual([400, 'client_id too long (at most 256 characters)']);
      expect((await details(exp)).json.kpis).toEqual([]);
    });

    it('answers 414 for a URI over 8 KiB, up to megabytes and thousands of alternatives, writing nothing', async () => {
      const before = await names();
      const longId = await sp.get('/participate', { experiment: fresh('uri'), alternatives: ['a', 'b'], client_id: 'c'.repeat(9000) });
      expect([longId.status, longId.text]).toEqual([414, '{"status": "failed", "message": "request URI too long"}']);
      expect(longId.headers.get('access-control-allow-origin')).toBe('*');

      const thousands = Array.from({ length: 3000 }, (_, i) => `alternatives=a${i}`).join('&');
      const megabyte = 'm'.repeat(1024 * 1024);
      for (const target of [`/participate?experiment=${fresh('k')}&client_id=x&${thousands}`, `/participate?experiment=${megabyte}&alternatives=a&alternatives=b&client_id=x`]) {
        const answer = await raw(target);
        expect(answer).toMatch(/^HTTP\/1\.1 414 URI Too Long\r\n/);
        expect(answer).toContain('\r\nAccess-Control-Allow-Origin: *\r\n');
        expect(answer.endsWith('\r\n\r\n{"status": "failed", "message": "request URI too long"}')).toBe(true);
      }
      expect(await names()).toEqual(before);
      // The server is still there.
      expect((await sp.get('/_status')).status).toBe(200);
    });
  });
});
