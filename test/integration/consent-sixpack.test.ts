/**
 * Sixpack mode behind withConsent, against the example Sixpack server on 127.0.0.1: calls made
 * before consent wait (no request), go out in order on grant (the participation before the
 * conversion, so the server credits it), and are answered without a request on deny.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../server/src/index';
import { createClient } from '../../src/client';
import { withConsent } from '../../src/plugins/consent';
import { memoryQueue, sixpack, SixpackError } from '../../src/plugins/sixpack';

const server = createServer();
let baseUrl = '';
beforeAll(async () => {
  baseUrl = (await server.listen(0, '127.0.0.1')).url;
});
afterAll(() => server.close());

/** [participants, conversions] per alternative, or null when the server never heard of it. */
async function stats(experiment: string) {
  const res = await fetch(`${baseUrl}/experiments/${experiment}`);
  if (!res.ok) return null;
  const body = (await res.json()) as { alternatives: { name: string; participant_count: number; completed_count: number }[] };
  return Object.fromEntries(body.alternatives.map((a) => [a.name, [a.participant_count, a.completed_count]]));
}

/** Whether `promise` is still pending after `ms`. */
const pendingAfter = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => false, () => false), new Promise((resolve) => setTimeout(() => resolve(true), ms))]);

function waitingClient(clientId: string) {
  return createClient(withConsent({ consent: 'pending' }, { clientId, plugins: [sixpack({ baseUrl, queue: memoryQueue() })] }));
}

describe('Sixpack calls wait for consent', () => {
  it('sends nothing before consent, then the participation and the conversion, in order, on grant', async () => {
    const client = waitingClient('granting-visitor');
    const participation = client.participate('consent-granted', ['grey', 'red']);
    const conversion = client.convert('consent-granted');
    expect(await pendingAfter(participation, 150)).toBe(true);
    expect(await pendingAfter(conversion, 0)).toBe(true);
    expect(await stats('consent-granted')).toBeNull();

    client.setConsent('granted');
    const { alternative, source } = await participation;
    expect(source).toBe('server');
    expect((await conversion).status).toBe('sent');
    const counts = await stats('consent-granted');
    expect(counts![alternative]).toEqual([1, 1]);
    client.destroy();
  });

  it('rejects a bad experiment name at once, consent or not', async () => {
    const client = waitingClient('careless-visitor');
    await expect(client.participate('bad/name', ['a', 'b'])).rejects.toBeInstanceOf(SixpackError);
    client.destroy();
  });

  it('on deny answers with the control and refuses conversions, without a request', async () => {
    const client = waitingClient('denying-visitor');
    const participation = client.participate('consent-denied', ['grey', 'red']);
    const conversion = client.convert('consent-denied');
    client.setConsent('denied');
    expect(await participation).toEqual({ alternative: 'grey', experiment: 'consent-denied', clientId: 'denying-visitor', source: 'disabled' });
    const refused = await conversion;
    expect(refused.status).toBe('rejected');
    expect(refused.error).toMatchObject({ code: 'disabled' });
    // And so on for later calls.
    expect((await client.participate('consent-denied', ['grey', 'red'])).source).toBe('disabled');
    expect(await stats('consent-denied')).toBeNull();
    client.destroy();
  });
});
