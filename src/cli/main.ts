/**
 * The `splitflap` command: `types`, `check` and `eval` on a payload file or URL. Exit codes: 0
 * fine, 1 the check found errors (or warnings, with --strict), 2 bad arguments or unreadable input.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkPayload, type Problem } from '../check/index';
import { evaluateFlag, formatEval, parseAttributes } from './evaluate';
import { parseJson, readPayload, readSource, UsageError } from './input';
import { declarationFile } from './typegen';

const USAGE = `Usage: splitflap <command> <payload file or URL> [options]

  splitflap types <payload> [--out flags.d.ts] [--name Flags]
      Write the payload's keys and value types as a .d.ts (--out - prints it).
  splitflap check <payload> [--max-bytes N] [--strict] [--json]
      Report problems with their paths; exit 1 on errors (--strict: on warnings too).
  splitflap eval <payload> <flag> [--attributes '{"id":"u1"}'] [--url URL] [--json]
      The flag's value, source, rule and experiment result for those attributes.

  --timeout MS   time limit of a URL fetch (default 10000)
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  name: { type: 'string' },
  'max-bytes': { type: 'string' },
  strict: { type: 'boolean' },
  json: { type: 'boolean' },
  attributes: { type: 'string', short: 'a' },
  url: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A positive integer option, or a usage error. */
function integer(values: Values, name: 'max-bytes' | 'timeout', fallback?: number): number | undefined {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive integer`);
  return value;
}

async function types(source: string, values: Values, timeoutMs: number): Promise<number> {
  const name = values.name ?? 'Flags';
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new UsageError('--name must be a TypeScript identifier');
  const text = declarationFile((await readPayload(source, timeoutMs)).features, name);
  const out = values.out ?? 'flags.d.ts';
  if (out === '-') process.stdout.write(text);
  else await writeFile(out, text), process.stderr.write(`wrote ${out}\n`);
  return 0;
}

const line = (problem: Problem) => `${problem.severity === 'error' ? 'error  ' : 'warning'}  ${problem.path || '(payload)'}  ${problem.message} [${problem.code}]`;

async function check(source: string, values: Values, timeoutMs: number): Promise<number> {
  const text = await readSource(source, timeoutMs);
  const problems = checkPayload(parseJson(text, source), { maxBytes: integer(values, 'max-bytes') });
  const errors = problems.filter((problem) => problem.severity === 'error').length;
  const warnings = problems.length - errors;
  if (values.json) process.stdout.write(JSON.stringify({ source, errors, warnings, problems }, null, 2) + '\n');
  else {
    for (const problem of problems) process.stdout.write(line(problem) + '\n');
    process.stdout.write(`${source}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  }
  return errors > 0 || (values.strict && warnings > 0) ? 1 : 0;
}

async function evaluate(source: string, flag: string | undefined, values: Values, timeoutMs: number): Promise<number> {
  if (!flag) throw new UsageError('splitflap eval <payload> <flag>: name the flag');
  const report = evaluateFlag(await readPayload(source, timeoutMs), flag, parseAttributes(values.attributes), values.url);
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatEval(report));
  return 0;
}

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const [command, source, flag, ...extra] = positionals;
    if (values.help || !command) return process.stdout.write(USAGE), values.help ? 0 : 2;
    if (!source) throw new UsageError(`splitflap ${command}: name a payload file or URL`);
    const timeoutMs = integer(values, 'timeout', 10_000)!;
    const unexpected = command === 'eval' ? extra[0] : flag;
    if (unexpected !== undefined) throw new UsageError(`unexpected argument ${unexpected}`);
    if (command === 'eval') return await evaluate(source, flag, values, timeoutMs);
    if (command === 'types') return await types(source, values, timeoutMs);
    if (command === 'check') return await check(source, values, timeoutMs);
    throw new UsageError(`unknown command ${command}`);
  } catch (error) {
    const known = error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`splitflap: ${error instanceof Error ? error.message : String(error)}\n${known ? '' : '(unexpected; please report it)\n'}`);
    if (known && !(error instanceof UsageError)) process.stderr.write(USAGE);
    return 2;
  }
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
