/**
 * Bots skew experiment results (Sixpack's `robot_regex`, django-bandits' exclusion regex).
 * A visitor whose user agent matches gets control / default values, no exposure and no sticky
 * assignment. Headless browsers match too: automated tests should set a real user agent or
 * pass `excludeBots: false`. (`bot\b` also covers `bot/`: the slash is a word boundary.)
 */
export const BOT_PATTERN =
  /bot\b|crawl|spider|slurp|scrape|headless|lighthouse|pingdom|uptime|preview|facebookexternalhit|embedly|curl\/|wget|python-|java\/|go-http-client|okhttp|phantomjs|selenium|puppeteer|playwright/i;

/** Whether `userAgent` looks like a bot (by `pattern`, default BOT_PATTERN). An unknown (empty) user agent is not one. */
export function isBot(userAgent: string | undefined, pattern?: RegExp | null): boolean {
  return !!userAgent && (pattern || BOT_PATTERN).test(userAgent);
}
