/**
 * Sixpack mode through the client (`createClient({ plugins: [sixpack({ baseUrl })] })`), against the example
 * Sixpack-compatible server started in-process on 127.0.0.1 (port 0).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client, ClientOptions } from '../../src/api';
import { createClient } from '../../src/client';
import { memoryQueue, sixpack, SixpackError, type SixpackOptions } from '../../src/plugins/sixpack';
import { memoryStickyBucketStore } from '../../src/sticky';
import type { Logger } from '../../src/types';
import { clientFor, type RunningSixpack, sixpackIndex, startSixpack } from '../helpers/sixpack-server';

const ALTS = ['red', 'blue'];
let sp: RunningSixpack;
/** The server's request log: `GET /participate?... 200 1ms`. */
const requests: string[] = [];

beforeAll(async () => {
  sp = await startSixpack({ log: (line) => requests.push(line) });
});
afterAll(() => sp.close());

const clients: Client[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.destroy()));

/** A client with the sixpack plugin (default: the example server, a memory queue). */
function client(clientId: string, options: Omit<ClientOptions, 'plugins'> = {}, sixpackOptions?: Parameters<typeof sixpack>[0]) {
  const log = vi.fn<Logger>();
  const c = createClient({ clientId, log, ...options, plugins: [sixpack(sixpackOptions ?? { baseUrl: sp.url, queue: memoryQueue() })] });
  clients.push(c);
  return Object.assign(c, { log });
}

async function counts(experiment: string) {
  const d = (await sp.get(`/experiments/${encodeURIComponent(experiment)}`)).json;
  return {
    participants: Object.fromEntries(d.alternatives.map((a: any) => [a.name, a.participant_count])),
    conversions: Object.fromEntries(d.alternatives.map((a: any) => [a.name, a.completed_count])),
    total: d.total_conversions as number,
  };
}

const participations = (experiment: string) =>
  requests.filter((line) => line.includes('/participate?') && new URLSearchParams(line.split(' ')[1]!.split('?')[1]).get('experiment') === experiment);

describe('client.participate / client.convert (Sixpack mode)', () => {
  it("returns the server's alternative: Sixpack's hash puts alice in blue for button-color", async () => {
    expect(sixpackIndex('button-color', 'alice', 2)).toBe(1);
    const c = client('alice');
    expect(await c.participate('button-color', ALTS)).toEqual({
      alternative: 'blue',
      experiment: 'button-color',
      clientId: 'alice',
      source: 'server',
    });
    expect((await counts('button-color')).participants).toEqual({ red: 0, blue: 1 });
    expect(c.log).not.toHaveBeenCalled();
  });

  it('a second client with the same sticky store renders the remembered alternative at once (source sticky)', async () => {
    const exp = 'sticky-exp';
    const id = clientFor(exp, ALTS, 1, 'bob');
    const stickyBucketStore = memoryStickyBucketStore();
    const first = client(id, { stickyBucketStore });
    expect(await first.participate(exp, ALTS)).toMatchObject({ alternative: 'blue', source: 'server' });
    // Kept in a doc of its own, apart from the local evaluator's.
    expect(stickyBucketStore.docs.get('sixpack_client_id||' + id)!.assignments).toEqual({ 'sixpack:sticky-exp__0': 'blue' });

    const second = client(id, { stickyBucketStore });
    expect(await second.participate(exp, ALTS)).toEqual({ alternative: 'blue', experiment: exp, clientId: id, source: 'sticky' });
    // The request still goes out (the server keeps counting), but the visitor is one participant.
    await vi.waitFor(() => expect(participations(exp)).toHaveLength(2));
    expect((await counts(exp)).participants).toEqual({ red: 0, blue: 1 });

  });

  it('convert is counted at the server, for the alternative and per KPI', async () => {
    const exp = 'checkout-flow';
    const id = clientFor(exp, ALTS, 0, 'carol');
    const c = client(id);
    expect(await c.participate(exp, ALTS)).toMatchObject({ alternative: 'red', source: 'server' });
    expect(await c.convert(exp)).toEqual({ status: 'sent' });
    expect(await c.convert(exp, { kpi: 'purchase' })).toEqual({ status: 'sent' });
    expect(await counts(exp)).toEqual({ participants: { red: 1, blue: 0 }, conversions: { red: 1, blue: 0 }, total: 1 });
    const kpi = (await sp.get(`/experiments/${exp}`, { kpi: 'purchase' })).json;
    expect(kpi.total_conversions).toBe(1);

    // Converting without participating is the server's final "no": rejected, not retried.
    const stranger = client('never-participated');
    const result = await stranger.convert(exp);
    expect(result.status).toBe('rejected');
    expect(result.error).toBeInstanceOf(SixpackError);
    expect(result.error!.status).toBe(400);
  });

  it('bad names and alternatives reject before any request', async () => {
    const c = client('dave');
    const before = requests.length;
    await expect(c.participate('bad/name', ALTS)).rejects.toMatchObject({ name: 'SixpackError', code: 'invalid-name' });
    await expect(c.participate('ok', ['red'])).rejects.toMatchObject({ code: 'invalid-alternatives' });
    await expect(c.participate('ok', ['red', 'bl ue'])).rejects.toMatchObject({ code: 'invalid-alternatives' });
    await expect(c.participate('ok', ALTS, { trafficFraction: 2 })).rejects.toMatchObject({ code: 'invalid-traffic-fraction' });
    await expect(c.convert('-leading-dash')).rejects.toBeInstanceOf(SixpackError);
    await expect(c.convert('ok', { kpi: 'not a kpi' })).rejects.toMatchObject({ code: 'invalid-kpi' });
    expect(requests.length).toBe(before);
  });

  it('without the sixpack plugin there is no participate or convert; an empty baseUrl rejects with a clear TypeError', async () => {
    const c = createClient({ clientId: 'erin', log: vi.fn() });
    clients.push(c);
    expect('participate' in c).toBe(false);
    expect('convert' in c).toBe(false);
    const empty = createClient({ clientId: 'erin', plugins: [sixpack({ baseUrl: '' })], log: vi.fn() });
    clients.push(empty);
    await expect(empty.participate('button-color', ALTS)).rejects.toThrow(TypeError);
  });

  it('server down: the control, with source fallback and the error', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));

    const c = client('frank', {}, { baseUrl: `http://127.0.0.1:${port}`, queue: memoryQueue(), timeoutMs: 1_000 });
    const r = await c.participate('button-color', ALTS);
    expect(r).toMatchObject({ alternative: 'red', experiment: 'button-color', clientId: 'frank', source: 'fallback' });
    expect(r.error).toBeInstanceOf(SixpackError);
    expect(r.error!.code).toBe('network');
    expect(c.log).toHaveBeenCalledWith('Sixpack participate failed', expect.objectContaining({ experiment: 'button-color' }));
    // A conversion is kept for later rather than lost.
    expect((await c.convert('button-color')).status).toBe('queued');
  });
});
