/**
 * Query-parameter parsing for the Sixpack-compatible server. Where the reference
 * crashes with an HTML 500 (bad `traffic_fraction`, garbage `datetime`) these throw
 * a {@link SixpackError} that the server turns into a JSON 400.
 */
import { SixpackError } from './model';
import type { DateKeys } from './store';

/** Sixpack's `to_bool`: `y`, `yes` or `true`, any case. Anything else (`1` included) is false. */
export function toBool(value: string | null): boolean {
  return value !== null && ['y', 'yes', 'true'].includes(value.toLowerCase());
}

/** Python float syntax (decimal, optional exponent, `nan`/`inf`), which `float()` accepts. */
const PY_FLOAT_RE = /^\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|nan|inf|infinity)\s*$/i;

/**
 * `traffic_fraction`: null when absent; a number (range-checked later, so that the reference's
 * "invalid traffic fraction range" still comes from the same place) or a 400 when unparsable.
 */
export function parseTrafficFraction(raw: string | null): number | null {
  if (raw === null) return null;
  if (!PY_FLOAT_RE.test(raw)) throw new SixpackError('invalid traffic fraction');
  const s = raw.trim().toLowerCase().replace(/^\+/, '');
  if (s.endsWith('nan')) return NaN;
  if (s.endsWith('inf') || s.endsWith('infinity')) return s.startsWith('-') ? -Infinity : Infinity;
  return Number(s);
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * `datetime` → date buckets. ISO 8601 only (the reference used dateutil, which guesses at
 * almost anything). As in the reference, the buckets are the date as written, in its own
 * offset, not converted to UTC. Empty means "now", as the reference treats it.
 */
export function parseDatetime(raw: string | null): DateKeys | null {
  if (raw === null || raw === '') return null;
  const m = ISO_RE.exec(raw.trim());
  if (!m) throw new SixpackError('invalid datetime (use ISO 8601, e.g. 2014-03-05 or 2014-03-05T10:00:00Z)');
  const [, y, mo, d, h, mi, s] = m as unknown as [string, string, string, string, string?, string?, string?];
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  const valid =
    Number(mo) >= 1 &&
    Number(mo) <= 12 &&
    Number(d) >= 1 &&
    Number(d) <= daysInMonth &&
    (h === undefined || Number(h) <= 23) &&
    (mi === undefined || Number(mi) <= 59) &&
    (s === undefined || Number(s) <= 59);
  if (!valid) throw new SixpackError('invalid datetime (use ISO 8601, e.g. 2014-03-05 or 2014-03-05T10:00:00Z)');
  return { year: y, month: `${y}-${mo}`, day: `${y}-${mo}-${d}` };
}

/**
 * Sixpack's default `robot_regex`, plus `wget`, `curl`, `python` and `http` (common non-browser
 * agents; `curl` was already caught by `url`). Searched case-insensitively anywhere in the user
 * agent. The leading `$^` matches an EMPTY user agent, so `user_agent=` counts as a bot, as in
 * the reference; an absent `user_agent` does not.
 */
export const DEFAULT_ROBOT_REGEX = new RegExp(
  '$^|trivial|facebook|MetaURI|butterfly|google|amazon|goldfire|sleuth|xenu|msnbot|SiteUptime|' +
    'Slurp|WordPress|ZIBB|ZyBorg|pingdom|bot|yahoo|slurp|java|fetch|spider|url|crawl|oneriot|abby|' +
    'commentreader|twiceler|wget|curl|python|http',
  'i',
);

/**
 * Sixpack 2.7.0's own default `robot_regex`, exactly: choose it (`robotRegex: 'sixpack'`,
 * `--robot-regex sixpack`, or its `config.yml`) to count exactly the visitors Sixpack counted.
 */
export const SIXPACK_ROBOT_REGEX = new RegExp(
  '$^|trivial|facebook|MetaURI|butterfly|google|amazon|goldfire|sleuth|xenu|msnbot|SiteUptime|' +
    'Slurp|WordPress|ZIBB|ZyBorg|pingdom|bot|yahoo|slurp|java|fetch|spider|url|crawl|oneriot|abby|' +
    'commentreader|twiceler',
  'i',
);

/**
 * The bot rule: `sixpack` or `splitflap` (the default) name the built-in ones; any other string is
 * a regex, searched case-insensitively like Sixpack's `re.search(robot_regex, ua, re.I)`. A bad
 * regex throws. Never `g`/`y`, whose `test` would carry state between requests.
 */
export function compileRobotRegex(re: RegExp | string | undefined): RegExp {
  if (re === undefined || re === 'splitflap') return DEFAULT_ROBOT_REGEX;
  if (re === 'sixpack') return SIXPACK_ROBOT_REGEX;
  if (typeof re === 'string') return new RegExp(re, 'i');
  return new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
}

/** Python 2's `urllib.unquote`: the reference decodes these parameters a second time. */
function unquote(s: string): string {
  return s.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * A bot (by `user_agent`) or an ignored `ip_address` (exact string match against the
 * configured list). These get the winner or control from /participate and
 * `{"excluded": "true"}` from /convert, with nothing recorded.
 */
export function isExcludedVisitor(
  params: URLSearchParams,
  robotRegex: RegExp,
  ignoredIps: ReadonlySet<string>,
): boolean {
  const userAgent = params.get('user_agent');
  if (userAgent !== null && robotRegex.test(unquote(userAgent))) return true;
  const ip = params.get('ip_address');
  return ip !== null && ip !== '' && ignoredIps.has(unquote(ip));
}

const DAY_MS = 86_400_000;

/**
 * The `datetime` window: a date bucket more than `backfillDays` days before today (UTC), or after
 * tomorrow, is a 400. A day either side of today is always allowed, because the buckets are the
 * date as written, in its own offset. With `backfillDays` 0 (the default) nothing can be dated
 * into the past, so no request can open day buckets the server would not open by itself; each
 * request names one date, so it opens at most one new day (and its month and year).
 */
export function checkDatetimeWindow(date: DateKeys, now: Date, backfillDays: number): void {
  const day = Date.parse(`${date.day}T00:00:00Z`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const earliest = today - (Math.max(0, backfillDays) + 1) * DAY_MS;
  if (day < earliest || day > today + DAY_MS) {
    throw new SixpackError(`datetime outside the accepted window (today, and at most ${backfillDays} days back)`);
  }
}
