/**
 * Loader for GrowthBook's cross-SDK conformance vectors. They live in the repository
 * (`vectors/growthbook-cases.json`, GrowthBook's MIT licence beside it), so the suite runs in any
 * clone; `SPLITFLAP_CONFORMANCE` points at another copy (a newer upstream file, say). The
 * project's reference copy is `../shared/conformance/`: `reference.test.ts` checks the two agree.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The copy kept in the repository. */
export const bundledCasesPath: string = path.join(here, 'vectors/growthbook-cases.json');

/** Where the conformance vectors are read from. */
export const casesPath: string = process.env.SPLITFLAP_CONFORMANCE ?? bundledCasesPath;

let cached: Record<string, unknown[]> | null | undefined;

/** All sections of the vectors file, or `null` when it is missing. Parsed once per worker. */
export function loadCases(): Record<string, unknown[]> | null {
  if (cached === undefined) {
    cached = existsSync(casesPath) ? (JSON.parse(readFileSync(casesPath, 'utf8')) as Record<string, unknown[]>) : null;
  }
  return cached;
}

/**
 * One `describe(section)` with one `it` per case, `fn` receiving the case tuple.
 * Cases whose first element is a string are named by it; others by their JSON.
 */
export function describeCases<T extends unknown[] = unknown[]>(section: string, fn: (...tuple: T) => void | Promise<void>): void {
  const all = loadCases();
  if (all === null) {
    // Only an override can point at a missing file: that is a mistake, never a reason to skip.
    describe(section, () => {
      it('conformance vectors are present', () => {
        throw new Error(`Conformance vectors not found at ${casesPath} (SPLITFLAP_CONFORMANCE)`);
      });
    });
    return;
  }
  const cases = all[section];
  describe(section, () => {
    if (!Array.isArray(cases) || cases.length === 0) {
      it('has cases', () => {
        throw new Error(`Section "${section}" is missing or empty in ${casesPath}`);
      });
      return;
    }
    const seen = new Set<string>();
    cases.forEach((tuple, i) => {
      const t = tuple as T;
      let name = typeof t[0] === 'string' ? t[0] : JSON.stringify(t).slice(0, 80);
      // Names repeat in the upstream file (e.g. "$not - pass"); keep reports unambiguous.
      if (seen.has(name)) name += ` (#${i})`;
      seen.add(name);
      it(name, () => fn(...t));
    });
  });
}
