/**
 * Bots skew experiment results (Sixpack's `robot_regex`, django-bandits' exclusion regex).
 * A visitor whose user agent matches gets control / default values, no exposure and no sticky
 * assignment. Headless browsers match too: automated tests should set a real user agent or
 * pass `excludeBots: false`.
 */
export const BOT_PATTERN =
  /bot\b|bot\/|crawl|spider|slurp|scrape|headless|lighthouse|pingdom|uptime|preview|facebookexternalhit|embedly|curl\/|wget|python-|java\/|go-http-client|okhttp|phantomjs|selenium|puppeteer|playwright/i;

/** Whether `userAgent` looks like a bot. An unknown (empty) user agent is not treated as one. */
export function isBot(userAgent: string | undefined, pattern: RegExp = BOT_PATTERN): boolean {
  return !!userAgent && pattern.test(userAgent);
}
