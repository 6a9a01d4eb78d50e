/**
 * Conditions: operators the core knows (src/conditions.ts), regexes through the core's guard
 * (src/regex.ts), saved groups that exist.
 */
import { compileSafeRegex } from '../regex';
import { at, isRecord, type Problems } from './report';

/** Operators of a value test, as src/conditions.ts evaluates them. */
const OPERATORS = new Set([
  '$eq', '$ne', '$lt', '$lte', '$gt', '$gte',
  '$veq', '$vne', '$vlt', '$vlte', '$vgt', '$vgte',
  '$exists', '$in', '$nin', '$ini', '$nini', '$all', '$alli',
  '$elemMatch', '$size', '$not', '$type', '$regex', '$regexi', '$inGroup', '$notInGroup',
]);
/** Deeper nesting is not checked (reported once). */
const MAX_DEPTH = 64;

/** What condition checks need besides the condition. */
export interface ConditionScope {
  problems: Problems;
  savedGroups: Record<string, unknown> | undefined;
}

/** An object whose keys are all operators (`$…`): a value test; anything else compares by value. */
const isOperatorObject = (value: unknown): value is Record<string, unknown> =>
  isRecord(value) && Object.keys(value).length > 0 && Object.keys(value).every((key) => key.startsWith('$'));

/** Checks a condition (`{ attribute: test, $and: […], … }`) at `path`. */
export function checkCondition(scope: ConditionScope, condition: unknown, path: string, depth = 0): void {
  if (depth > MAX_DEPTH) return scope.problems.add('invalid-condition', path, `nested deeper than ${MAX_DEPTH} levels; not checked further`);
  if (!isRecord(condition)) return scope.problems.add('invalid-condition', path, 'a condition must be an object; this one never matches');
  for (const [key, arg] of Object.entries(condition)) {
    const here = at(path, key);
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(arg)) scope.problems.add('invalid-condition', here, `${key} takes an array of conditions; this one never matches`);
      else arg.forEach((item, i) => checkCondition(scope, item, at(here, i), depth + 1));
    } else if (key === '$not') checkCondition(scope, arg, here, depth + 1);
    else checkTest(scope, arg, here, depth + 1);
  }
}

/** Checks the test of one attribute: a value (compared as is) or an operator object. */
function checkTest(scope: ConditionScope, test: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) return scope.problems.add('invalid-condition', path, `nested deeper than ${MAX_DEPTH} levels; not checked further`);
  if (!isOperatorObject(test)) return;
  for (const [operator, arg] of Object.entries(test)) {
    const here = at(path, operator);
    if (!OPERATORS.has(operator)) scope.problems.add('unknown-operator', here, `unknown operator ${operator}; the test never matches`);
    else if (operator === '$regex' || operator === '$regexi') checkRegex(scope, arg, here, operator === '$regexi');
    else if (operator === '$not' || operator === '$size') checkTest(scope, arg, here, depth + 1);
    else if (operator === '$elemMatch') {
      if (isOperatorObject(arg)) checkTest(scope, arg, here, depth + 1);
      else checkCondition(scope, arg, here, depth + 1);
    } else if (operator === '$inGroup' || operator === '$notInGroup') checkGroup(scope, arg, here);
  }
}

function checkRegex(scope: ConditionScope, pattern: unknown, path: string, ignoreCase: boolean): void {
  if (typeof pattern !== 'string') return scope.problems.add('invalid-regex', path, 'a regex must be a string; the test never matches');
  const verdict = compileSafeRegex(pattern, ignoreCase);
  if (!verdict.refused) return;
  if (verdict.refused === 'invalid pattern') scope.problems.add('invalid-regex', path, `invalid regex ${JSON.stringify(pattern)}; the test never matches`);
  else scope.problems.add('unsafe-regex', path, `regex ${JSON.stringify(pattern)} may backtrack catastrophically (${verdict.refused}); Splitflap refuses it, so the test never matches`);
}

function checkGroup(scope: ConditionScope, group: unknown, path: string): void {
  const groups = scope.savedGroups;
  if (typeof group !== 'string' || !groups || !Object.prototype.hasOwnProperty.call(groups, group)) {
    scope.problems.add('unknown-group', path, `saved group ${JSON.stringify(group)} is not in the payload's savedGroups`);
  }
}
