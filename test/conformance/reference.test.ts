/**
 * The vectors kept in the repository are the project's reference copy (`../shared/conformance/`),
 * byte for byte. The reference lies outside the repository: where it is absent this check fails
 * under `CI=true` (CI lays it beside the clone) and is skipped loudly elsewhere; the conformance
 * suite itself needs only the repository's copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledCasesPath } from './cases';

const referencePath = path.resolve(path.dirname(bundledCasesPath), '../../../../shared/conformance/growthbook-cases.json');
const present = existsSync(referencePath);
if (!present && process.env.CI !== 'true') console.warn(`\n[conformance] SKIPPING the reference comparison: no ${referencePath}\n`);

describe.skipIf(!present && process.env.CI !== 'true')('conformance vectors', () => {
  it('the repository copy is the reference copy', () => {
    expect(existsSync(referencePath), `reference vectors at ${referencePath}`).toBe(true);
    expect(readFileSync(bundledCasesPath, 'utf8')).toBe(readFileSync(referencePath, 'utf8'));
  });
});

it('the repository copy of the vectors keeps its licence notice beside it', () => {
  expect(readFileSync(path.join(path.dirname(bundledCasesPath), 'LICENSE'), 'utf8')).toMatch(/Copyright \(c\) \d{4} GrowthBook, Inc\.[\s\S]*MIT Expat/);
});
