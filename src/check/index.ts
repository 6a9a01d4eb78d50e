/**
 * `splitflap/check`: a GrowthBook-format payload checked offline, the same checks as
 * `npx splitflap check`. Node, browsers and CI alike; never throws (a payload it cannot read is
 * itself a problem).
 *
 * ```ts
 * import { checkPayload } from 'splitflap/check';
 * const problems = checkPayload(payload, { maxBytes: 200_000 });
 * if (problems.some((problem) => problem.severity === 'error')) process.exit(1);
 * ```
 */
import { checkCondition, type ConditionScope } from './conditions';
import { checkExperimentKeys, checkPrerequisites } from './graph';
import { at, isRecord, Problems, type Problem } from './report';
import { checkFeature } from './rules';

export { SEVERITY, type Problem, type ProblemCode, type Severity } from './report';

/** Options of {@link checkPayload}. */
export interface CheckOptions {
  /** Report a payload larger than this many bytes (its JSON, UTF-8) as an error. */
  maxBytes?: number;
}

/** The payload as plain JSON data (getters run once, cycles and other hostile shapes refused), with its size. */
function plainCopy(payload: unknown): { data: unknown; bytes: number } {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  if (typeof text !== 'string') throw new Error('not JSON data');
  return { data: JSON.parse(text) as unknown, bytes: new TextEncoder().encode(text).length };
}

/**
 * The problems of `payload` (an object, or its JSON text), errors first, each with its path.
 * Errors: what Splitflap (and GrowthBook's SDKs) cannot evaluate as written: unknown operators,
 * invalid or catastrophic regexes, weights that do not sum to 1 or do not match the variations,
 * coverage or namespaces outside 0–1, one experiment key with different variations, a payload
 * over `maxBytes`. Warnings: missing prerequisites and cycles, rules made unreachable by an
 * earlier rule for everyone, values of another type than the default's, unknown saved groups.
 */
export function checkPayload(payload: unknown, options: CheckOptions = {}): Problem[] {
  const problems = new Problems();
  try {
    checkData(problems, payload, options);
  } catch (error) {
    problems.add('invalid-payload', '', `not readable as JSON data: ${error instanceof Error ? error.message : String(error)}`);
  }
  const rank = (problem: Problem) => (problem.severity === 'error' ? 0 : 1);
  return problems.list.sort((a, b) => rank(a) - rank(b));
}

function checkData(problems: Problems, payload: unknown, options: CheckOptions): void {
  const { data, bytes } = plainCopy(payload);
  const maxBytes = options && typeof options === 'object' ? options.maxBytes : undefined;
  if (typeof maxBytes === 'number' && bytes > maxBytes) problems.add('payload-size', '', `${bytes} bytes, over the ${maxBytes} allowed`);
  if (!isRecord(data)) return problems.add('invalid-payload', '', 'a payload must be an object with `features`');
  const { features, savedGroups } = data;
  if (!isRecord(features)) {
    const why = data.encryptedFeatures !== undefined ? ' (an encrypted payload: decrypt it first)' : '';
    return problems.add('invalid-payload', 'features', `features must be an object${why}`);
  }
  if (savedGroups !== undefined && !isRecord(savedGroups)) problems.add('invalid-payload', 'savedGroups', 'savedGroups must be an object');
  const scope: ConditionScope = { problems, savedGroups: isRecord(savedGroups) ? savedGroups : undefined };
  for (const [key, definition] of Object.entries(features)) checkFeature(scope, definition, at('features', key));
  checkPrerequisites(problems, features);
  checkExperimentKeys(problems, features);
  checkBandits(scope, data.contextualBandits);
}

/** The leaf conditions of contextual bandits (`contextualBandits[ref].contexts[i].condition`). */
function checkBandits(scope: ConditionScope, bandits: unknown): void {
  if (!isRecord(bandits)) return;
  for (const [ref, bandit] of Object.entries(bandits)) {
    const contexts = isRecord(bandit) && Array.isArray(bandit.contexts) ? bandit.contexts : [];
    contexts.forEach((context, i) => {
      if (isRecord(context) && context.condition !== undefined) checkCondition(scope, context.condition, at(at(at(at('contextualBandits', ref), 'contexts'), i), 'condition'));
    });
  }
}
