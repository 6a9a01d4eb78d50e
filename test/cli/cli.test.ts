/**
 * `npx splitflap types | check | eval`, run as a user runs them: the bin of the packed tarball,
 * installed into a temporary project, spawned as a process, on fixture files and on URLs served
 * from 127.0.0.1.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/index';
import type { FeatureDefinitions } from '../../src/types';
import { errorMarkers } from '../helpers/typecheck';
import { installPacked, root, SLOW, splitflap } from './packed';

const fixtures = path.join(root, 'test/check/fixtures');
const fixture = (name: string) => path.join(fixtures, name);
const valid = JSON.parse(readFileSync(fixture('valid.json'), 'utf8')) as { features: FeatureDefinitions; savedGroups: Record<string, unknown[]> };

let project: string;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/hang') return; // never answers
    const name = request.url === '/payload.json' ? 'valid.json' : request.url === '/broken.json' ? 'weights-sum.json' : undefined;
    if (!name) return void response.writeHead(404).end('not found');
    response.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(fixture(name)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  project = await installPacked();
}, SLOW + 60_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  if (project) rmSync(path.dirname(project), { recursive: true, force: true });
});

describe('splitflap types', () => {
  it('writes the keys and value types, the same bytes on every run and from a URL', async () => {
    const first = await splitflap(project, 'types', fixture('valid.json'), '--out', 'flags.d.ts');
    expect(first.code).toBe(0);
    const written = readFileSync(path.join(project, 'flags.d.ts'), 'utf8');
    expect(written).toContain(`export type Flags = {\n  "beta-banner": boolean;\n  "button-color": string;\n  "new-checkout": boolean;\n};\n`);
    await splitflap(project, 'types', fixture('valid.json'), '--out', 'flags.d.ts');
    expect(readFileSync(path.join(project, 'flags.d.ts'), 'utf8')).toBe(written);
    const fromUrl = await splitflap(project, 'types', `${base}/payload.json`, '--out', '-');
    expect(fromUrl).toMatchObject({ code: 0, stdout: written });
  }, SLOW);

  it('gives a type that createClient<Flags> from the installed package accepts, unknown keys refused', async () => {
    expect((await splitflap(project, 'types', fixture('value-type.json'), '--out', 'mixed.d.ts', '--name', 'Mixed')).code).toBe(0);
    expect(readFileSync(path.join(project, 'mixed.d.ts'), 'utf8')).toContain('  f: boolean | string;\n');
    const app = `
import { createClient } from 'splitflap';
import type { Flags } from './flags';
const client = createClient<Flags>({ cookie: false });
const on: boolean = client.isOn('new-checkout');
const color: string = client.getFeatureValue('button-color', 'grey');
client.isOn('new-chekout'); // LINE:unknown-key
client.getFeatureValue('button-color', 3); // LINE:wrong-value
export { on, color };
`;
    expect(errorMarkers(project, 'app.ts', app)).toEqual(['unknown-key', 'wrong-value']);
  }, SLOW);

  it('the installed splitflap/define types a client made from its payload (declarations shared across entries)', () => {
    const app = `
import { createClient } from 'splitflap';
import { defineFlags } from 'splitflap/define';
const flags = defineFlags({ features: { 'new-checkout': { defaultValue: false }, 'max-items': { defaultValue: 10 } } });
defineFlags({ features: { broken: { defaultValue: 1, rules: [{ force: 'one' }] } } }); // LINE:force-type
const client = createClient({ features: flags.features, cookie: false });
const max: number = client.getFeatureValue('max-items', 5);
client.isOn('new-chekout'); // LINE:unknown-key
export { max };
`;
    expect(errorMarkers(project, 'defined.ts', app)).toEqual(['force-type', 'unknown-key']);
  }, SLOW);
});

describe('splitflap check', () => {
  it('exits 0 on a sound payload', async () => {
    const ran = await splitflap(project, 'check', fixture('valid.json'));
    expect(ran).toMatchObject({ code: 0, stdout: expect.stringContaining('0 errors, 0 warnings') });
  });

  it('reports every fixture problem at its path; exit 1 on errors, on warnings only with --strict', async () => {
    for (const name of readdirSync(fixtures).filter((file) => file !== 'valid.json')) {
      const expected = (JSON.parse(readFileSync(fixture(name), 'utf8')) as { $expect: { code: string; path: string }[] }).$expect;
      const ran = await splitflap(project, 'check', fixture(name), '--json');
      const report = JSON.parse(ran.stdout) as { errors: number; warnings: number; problems: { code: string; path: string; severity: string }[] };
      expect(report.problems.map(({ code, path }) => ({ code, path })), name).toEqual(expected);
      expect(ran.code, name).toBe(report.errors > 0 ? 1 : 0);
      expect((await splitflap(project, 'check', fixture(name), '--strict')).code, `${name} --strict`).toBe(1);
    }
  }, SLOW);

  it('prints path, message and code per line, and honours --max-bytes', async () => {
    const ran = await splitflap(project, 'check', fixture('unknown-operator.json'));
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/^error +features\.f\.rules\[0\]\.condition\.age\.\$lesser {2}unknown operator \$lesser.*\[unknown-operator\]$/m);
    const size = await splitflap(project, 'check', fixture('valid.json'), '--max-bytes', '100');
    expect(size).toMatchObject({ code: 1, stdout: expect.stringContaining('[payload-size]') });
  });

  it('checks a URL, and exits 2 when it cannot read one (404, no answer in time, no file)', async () => {
    expect((await splitflap(project, 'check', `${base}/payload.json`)).code).toBe(0);
    expect(await splitflap(project, 'check', `${base}/broken.json`)).toMatchObject({ code: 1, stdout: expect.stringContaining('[weights-sum]') });
    expect(await splitflap(project, 'check', `${base}/missing.json`)).toMatchObject({ code: 2, stderr: expect.stringContaining('answered 404') });
    expect(await splitflap(project, 'check', `${base}/hang`, '--timeout', '300')).toMatchObject({ code: 2, stderr: expect.stringContaining('no answer') });
    expect(await splitflap(project, 'check', 'nowhere.json')).toMatchObject({ code: 2, stderr: expect.stringContaining('ENOENT') });
  }, SLOW);
});

describe('splitflap eval', () => {
  it('prints the value, source and rule of a targeted flag', async () => {
    const ran = await splitflap(project, 'eval', fixture('valid.json'), 'new-checkout', '--attributes', '{"id":"u9","country":"NZ"}');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^value: +true$/m);
    expect(ran.stdout).toMatch(/^source: +force$/m);
    expect(ran.stdout).toMatch(/^rule: +nz$/m);
  });

  it('gives the experiment result the core gives for the same attributes (--json, from a URL)', async () => {
    const sources = new Set<string>();
    for (const id of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8']) {
      const ran = await splitflap(project, 'eval', `${base}/payload.json`, 'button-color', '--attributes', JSON.stringify({ id }), '--json');
      const report = JSON.parse(ran.stdout) as { value: unknown; source: string; ruleId: string; experiment?: { key: string; variationId: number; inExperiment: boolean } };
      const core = createClient({ features: valid.features, savedGroups: valid.savedGroups, attributes: { id }, cookie: false, stickyBucketStore: false }).evalFeature('button-color', { track: false });
      expect(report).toMatchObject({ value: core.value, source: core.source, ruleId: core.ruleId });
      const expected = core.experimentResult && { key: 'button-test', variationId: core.experimentResult.variationId, inExperiment: core.experimentResult.inExperiment };
      expect(report.experiment && { key: report.experiment.key, variationId: report.experiment.variationId, inExperiment: report.experiment.inExperiment }).toEqual(expected);
      sources.add(report.source);
    }
    // The namespace takes half the visitors: both outcomes are exercised.
    expect([...sources].sort()).toEqual(['defaultValue', 'experiment']);
  }, SLOW);

  it('exits 2 on attributes that are not a JSON object, and on a missing flag name', async () => {
    expect(await splitflap(project, 'eval', fixture('valid.json'), 'new-checkout', '--attributes', '[1]')).toMatchObject({ code: 2, stderr: expect.stringContaining('JSON object') });
    expect((await splitflap(project, 'eval', fixture('valid.json'))).code).toBe(2);
  });
});
