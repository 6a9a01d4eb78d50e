/** `splitflap eval`: one flag of a payload, evaluated by the core for the given attributes. */
import { createClient } from '../client';
import type { Attributes, FeatureDefinitions, FeatureResult } from '../types';
import { UsageError } from './input';

/** What `splitflap eval` reports. */
export interface EvalReport {
  flag: string;
  value: unknown;
  source: FeatureResult['source'];
  ruleId: string;
  experiment?: { key: string; variationId: number; variationKey: string; inExperiment: boolean; hashAttribute: string; hashValue: string | number; bucket?: number };
  /** Problems the core recovered from while evaluating (a malformed rule, a refused regex, …). */
  logs: string[];
}

/** `text` as an attributes object, or a usage error. */
export function parseAttributes(text: string | undefined): Attributes {
  if (text === undefined) return {};
  let attributes: unknown;
  try {
    attributes = JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--attributes is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes)) throw new UsageError('--attributes must be a JSON object, e.g. \'{"id":"u1","country":"NZ"}\'');
  return attributes as Attributes;
}

/**
 * Evaluates `flag` as a server would: no cookie, no sticky buckets, no exposures. Without an `id`
 * attribute nobody is hashed into experiments (there is no id to hash).
 */
export function evaluateFlag(payload: { features: Record<string, unknown>; savedGroups?: Record<string, unknown[]> }, flag: string, attributes: Attributes, url?: string): EvalReport {
  const logs: string[] = [];
  const client = createClient({
    features: payload.features as FeatureDefinitions,
    savedGroups: payload.savedGroups,
    attributes: { id: undefined, ...attributes },
    clientId: typeof attributes.id === 'string' && attributes.id ? attributes.id : 'splitflap-cli',
    cookie: false,
    stickyBucketStore: false,
    url,
    log: (message, context) => logs.push(context ? `${message} ${safeJson(context)}` : message),
  });
  const result = client.evalFeature(flag, { track: false });
  client.destroy();
  const report: EvalReport = { flag, value: result.value, source: result.source, ruleId: result.ruleId, logs };
  const exp = result.experimentResult;
  if (exp) {
    report.experiment = {
      key: result.experiment ? result.experiment.key : '',
      variationId: exp.variationId,
      variationKey: exp.key,
      inExperiment: exp.inExperiment,
      hashAttribute: exp.hashAttribute,
      hashValue: exp.hashValue,
      ...(exp.bucket !== undefined ? { bucket: exp.bucket } : {}),
    };
  }
  return report;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, item: unknown) => (item instanceof Error ? item.message : item));
  } catch {
    return String(value);
  }
}

/** The report as lines for a terminal. */
export function formatEval(report: EvalReport): string {
  const lines = [`flag:    ${report.flag}`, `value:   ${JSON.stringify(report.value)}`, `source:  ${report.source}`, `rule:    ${report.ruleId || '(none)'}`];
  const exp = report.experiment;
  if (exp) {
    lines.push(`experiment: ${exp.key}, variation ${exp.variationId} (${exp.variationKey}), ${exp.inExperiment ? 'in the experiment' : 'not in the experiment'}`);
    lines.push(`  hashed on ${exp.hashAttribute}=${JSON.stringify(exp.hashValue)}${exp.bucket !== undefined ? `, bucket ${exp.bucket}` : ''}`);
  }
  for (const log of report.logs) lines.push(`note: ${log}`);
  return lines.join('\n') + '\n';
}
