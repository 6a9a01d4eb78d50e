/**
 * Baseplate's targeting trees (`targeting/tree_targeting.py`): compiled once when the config is
 * loaded, evaluated per call.
 */
import { isObject } from '../../conditions';
import type { TargetingNode } from './types';
import { hasOwn, isNum, pyCompare, pyEq, pyIn, truthy } from './python';


// Validation failures throw; loadBaseplateConfig catches them per experiment. (A function
// declaration, so TypeScript narrows after `if (…) fail()`.)
export function fail(msg: string): never {
  throw new Error(msg);
}
// Shared by many definitions, hence frozen.
export const EVERYONE: TargetingNode = Object.freeze({ op: 'override', value: true });
export const NO_ONE: TargetingNode = Object.freeze({ op: 'override', value: false });

/** `create_targeting_tree`: one operator key per node, operator names case-insensitive. */
export function compileTree(node: unknown): TargetingNode {
  if (!isObject(node)) return fail('a targeting node must be an object');
  const keys = Object.keys(node);
  if (keys.length !== 1) return fail('a targeting node must have exactly one operator');
  const op = keys[0].toLowerCase();
  const arg = node[keys[0]];
  const fieldNode = (valueKeys: string[]) => {
    if (!isObject(arg) || Object.keys(arg).length !== 2 || !valueKeys.some((k) => hasOwn(arg, k))) {
      return fail(`${op} expects {field, ${valueKeys.join('|')}}`);
    }
    if (typeof arg.field !== 'string') return fail(`${op} expects a string field`);
    return { field: arg.field.toLowerCase(), arg };
  };
  switch (op) {
    case 'all':
    case 'any':
      if (!Array.isArray(arg)) return fail(`${op} expects a list`);
      return { op, nodes: arg.map(compileTree) };
    case 'not':
      if (!isObject(arg) || Object.keys(arg).length !== 1) return fail('not expects one node');
      return { op, node: compileTree(arg) };
    case 'override':
      return { op, value: arg === true };
    case 'eq': {
      const { field, arg: a } = fieldNode(['value', 'values']);
      // Python: `values or [value]`, so an empty `values` list accepts None (a missing attribute).
      return { op, field, values: truthy(a.values) ? a.values : [a.value] };
    }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
    case 'ne': {
      const { field, arg: a } = fieldNode(['value']);
      return { op, field, value: a.value };
    }
    default:
      return fail(`unknown targeting operator ${keys[0]}`);
  }
}

/** Evaluate a compiled tree against attributes (looked up by exact, case-sensitive name). */
export function evalTargeting(node: TargetingNode, attributes: Record<string, unknown>): boolean {
  switch (node.op) {
    case 'all':
      return node.nodes.every((n) => evalTargeting(n, attributes));
    case 'any':
      return node.nodes.some((n) => evalTargeting(n, attributes));
    case 'not':
      return !evalTargeting(node.node, attributes);
    case 'override':
      return node.value;
    case 'eq':
      return pyIn(get(attributes, node.field), node.values);
  }
  const v = get(attributes, node.field);
  if (v === null && node.value == null) return false; // baseplate: None vs None is false
  if (node.op === 'ne') return !pyEq(v, node.value);
  const c = pyCompare(v, node.value);
  if (c === null) return false;
  return node.op === 'gt' ? c > 0 : node.op === 'ge' ? c >= 0 : node.op === 'lt' ? c < 0 : c <= 0;
}

// `kwargs.get(name)`: own properties only, a missing or undefined value is None.
function get(attrs: Record<string, unknown>, key: string): unknown {
  return hasOwn(attrs, key) && attrs[key] !== undefined ? attrs[key] : null;
}

/** `_generate_targeting`: absent → everyone; invalid → no one (logged). */
export function targetingOrNoOne(cfg: unknown, log: (msg: string) => void): TargetingNode {
  if (cfg === null || cfg === undefined) return EVERYONE;
  try {
    return compileTree(cfg);
  } catch (e) {
    log(`invalid targeting tree, targeting no one: ${(e as Error).message}`);
    return NO_ONE;
  }
}

