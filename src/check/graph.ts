/**
 * Checks across features: prerequisites that name missing flags or form a cycle, and experiment
 * keys used by several rules with different variations.
 */
import { at, isRecord, type Problems } from './report';

/** Each feature's prerequisite ids, with the path of each reference. */
type Edges = Map<string, { id: string; path: string }[]>;

function prerequisiteEdges(features: Record<string, unknown>): Edges {
  const edges: Edges = new Map();
  for (const [key, definition] of Object.entries(features)) {
    const list: { id: string; path: string }[] = [];
    const rules = isRecord(definition) && Array.isArray(definition.rules) ? definition.rules : [];
    rules.forEach((rule, i) => {
      const parents = isRecord(rule) && Array.isArray(rule.parentConditions) ? rule.parentConditions : [];
      parents.forEach((parent, j) => {
        if (isRecord(parent)) list.push({ id: String(parent.id), path: at(at(at(at(at('features', key), 'rules'), i), 'parentConditions'), j) + '.id' });
      });
    });
    edges.set(key, list);
  }
  return edges;
}

/** Missing prerequisites, and each cycle once (at the reference that closes it). */
export function checkPrerequisites(problems: Problems, features: Record<string, unknown>): void {
  const edges = prerequisiteEdges(features);
  for (const list of edges.values()) {
    for (const { id, path } of list) if (!edges.has(id)) problems.add('prerequisite-missing', path, `prerequisite ${JSON.stringify(id)} is not a feature of this payload`);
  }
  const state = new Map<string, 'open' | 'done'>();
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    // Iterative depth-first search: a long chain of prerequisites must not overflow the stack.
    const stack: { key: string; next: number }[] = [{ key: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const edge = edges.get(top.key)![top.next++];
      if (!edge) {
        state.set(top.key, 'done');
        stack.pop();
      } else if (state.get(edge.id) === 'open') {
        const cycle = [...stack.slice(stack.findIndex((frame) => frame.key === edge.id)).map((frame) => frame.key), edge.id];
        problems.add('prerequisite-cycle', edge.path, `prerequisites form a cycle: ${cycle.join(' → ')}`);
      } else if (!state.has(edge.id) && edges.has(edge.id)) {
        state.set(edge.id, 'open');
        stack.push({ key: edge.id, next: 0 });
      }
    }
  }
}

/** Experiment rules sharing a key (the rule's `key`, else the feature's) with different variations. */
export function checkExperimentKeys(problems: Problems, features: Record<string, unknown>): void {
  const seen = new Map<string, { variations: string; path: string }>();
  for (const [key, definition] of Object.entries(features)) {
    const rules = isRecord(definition) && Array.isArray(definition.rules) ? definition.rules : [];
    rules.forEach((rule, i) => {
      if (!isRecord(rule) || 'force' in rule) return;
      const variations = Array.isArray(rule.variations) ? rule.variations : rule.contextualVariations;
      if (!Array.isArray(variations)) return;
      const experiment = typeof rule.key === 'string' && rule.key ? rule.key : key;
      const path = at(at(at('features', key), 'rules'), i);
      const first = seen.get(experiment);
      const json = JSON.stringify(variations);
      if (!first) seen.set(experiment, { variations: json, path });
      else if (first.variations !== json) problems.add('duplicate-experiment', path, `experiment key ${JSON.stringify(experiment)} is also used at ${first.path} with other variations`);
    });
  }
}
