/**
 * The client id: one stable, first-party id per visitor, shared with sixpack-js through the same
 * cookie so existing visitors keep their ids (and their Sixpack alternatives).
 */
import Cookies from 'js-cookie';
import { pageDocument, pageURL } from './internal/env';

/**
 * Where the client id is kept. Invalid options are programming mistakes and throw: a `TypeError`
 * for a value of the wrong type, a `RangeError` for one that would break the cookie (or smuggle
 * attributes into it, like `domain: 'x.com; Domain=evil.com'`).
 */
export interface CookieOptions {
  /** Cookie name, an HTTP token (letters, digits and ``!#$%&'*+-.^_`|~``); default (also for `''`) `sixpack_client_id`, the name sixpack-js uses. */
  name?: string;
  /** A host name or IP address, optionally with a leading dot (`.example.com`); default none. */
  domain?: string;
  /** Lifetime in days, finite and not negative; default 400 (the most browsers allow). */
  days?: number;
  /**
   * The `Secure` attribute: the browser then keeps the cookie only from an HTTPS page and sends
   * it only over HTTPS. Default: decided from the page. In the browser, `https:` pages set it.
   * On a server it follows the request the cookie answers: its URL's scheme, a TLS socket
   * (Node's `https` server), or `X-Forwarded-Proto` from a proxy in front (`splitflap/server`
   * does this; pass the request to {@link clientIdSetCookieHeader}). With no request to decide
   * from it is left off, so a plain-HTTP page keeps its visitor: a browser drops a `Secure`
   * cookie set over HTTP, and each page view would be a new visitor. Set `true` to require it.
   */
  secure?: boolean;
}

/**
 * Request headers: a Fetch API `Headers` (or anything with `get`), or Node's
 * `IncomingHttpHeaders` (`req.headers` of Express, Fastify, node:http: lower-case names).
 */
export type HeadersLike = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** A Fetch API `Request`, Node's `IncomingMessage`, or anything with its headers (and, optionally, its URL). */
export interface RequestLike {
  headers: HeadersLike;
  /** The full URL (Fetch API), or a path (Node's `req.url`). */
  url?: string;
  /** Node's socket: a TLS socket (`encrypted: true`) when the request came to an `https` server. */
  socket?: object;
}

/** The cookie sixpack-js uses, so visitors keep their ids when a site switches to Splitflap. */
export const DEFAULT_COOKIE_NAME = 'sixpack_client_id';
const DEFAULT_DAYS = 400;
/** Ids from storage are untrusted: accept only what an id generator could have written. */
const VALID_ID = /^[\w.:@+-]{1,128}$/;

/** RFC 6265's cookie-name: an HTTP token, so no separators, whitespace or control characters. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Dot-separated labels of letters, digits and hyphens, optionally after a leading dot. */
const COOKIE_DOMAIN = /^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;

function checkText(field: string, value: unknown, pattern: RegExp): void {
  if (value === undefined || value === '') return;
  if (typeof value !== 'string') throw new TypeError(`Cookie ${field} must be a string, got ${typeof value}`);
  if (!pattern.test(value)) throw new RangeError(`Invalid cookie ${field}: ${JSON.stringify(value)}`);
}

/** Throws on options that would break the cookie or inject attributes into it (see {@link CookieOptions}). */
function checkCookieOptions(cookie: CookieOptions): void {
  checkText('name', cookie.name, COOKIE_NAME);
  checkText('domain', cookie.domain, COOKIE_DOMAIN);
  const secure: unknown = cookie.secure;
  if (secure !== undefined && typeof secure !== 'boolean') throw new TypeError(`Cookie secure must be a boolean, got ${typeof secure}`);
  const days: unknown = cookie.days;
  if (days === undefined) return;
  if (typeof days !== 'number') throw new TypeError(`Cookie days must be a number, got ${typeof days}`);
  if (!(Number.isFinite(days) && days >= 0)) throw new RangeError(`Invalid cookie days: ${days}`);
}

/** A new random UUID v4, from `crypto.getRandomValues` (everywhere, unlike `randomUUID`), else Math.random. */
export function generateClientId(): string {
  const bytes = new Uint8Array(16);
  const c = globalThis.crypto;
  if (c && c.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = (Math.random() * 256) | 0;
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  let hex = '';
  for (let i = 0; i < 16; i++) hex += (bytes[i] + 0x100).toString(16).slice(1);
  // 8-4-4-4-12 hex digits
  return hex.replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}

/** Whether `id` is an acceptable stored client id. */
export function isValidClientId(id: unknown): id is string {
  return typeof id === 'string' && VALID_ID.test(id);
}

/**
 * The value of cookie `name` in an HTTP `Cookie` header (URI-decoded), or `undefined` when it is
 * absent or cannot be decoded.
 */
export function cookieFromHeader(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Read the client id from an HTTP `Cookie` header (server-side rendering, edge functions).
 * Returns `undefined` when absent or malformed.
 * @example createClient({ clientId: clientIdFromCookieHeader(req.headers.cookie) })
 */
export function clientIdFromCookieHeader(header: string | null | undefined, name = DEFAULT_COOKIE_NAME): string | undefined {
  const value = cookieFromHeader(header, name);
  return isValidClientId(value) ? value : undefined;
}

/** One header's value, whatever the headers object. */
export function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (typeof headers.get == 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  // Node joins repeated headers into a list; a Cookie header is the only one read here that may repeat.
  return Array.isArray(value) ? value.join('; ') : value;
}

/**
 * Whether the browser asked for `request` over HTTPS: as a proxy in front says
 * (`X-Forwarded-Proto`, its first hop), else a TLS socket, else the URL's scheme.
 */
export function overHttps(request: RequestLike): boolean {
  const forwarded = request.headers && headerValue(request.headers, 'x-forwarded-proto');
  if (forwarded) return forwarded.split(',')[0]!.trim().toLowerCase() === 'https';
  if (request.socket && (request.socket as { encrypted?: unknown }).encrypted === true) return true;
  return httpsUrl(request.url);
}

const httpsUrl = (url: string | undefined): boolean => !!url && url.slice(0, 6).toLowerCase() === 'https:';

/**
 * A `Set-Cookie` header value persisting `clientId`, for servers that generated it, so the
 * browser keeps the same id (and so renders the same variations) after hydration.
 *
 * `Secure` fits the page: `cookie.secure` when set, else `page` decides. Pass the request the
 * cookie answers (a Fetch API `Request`, Node's `req`, or `{ headers, url }`): HTTPS as a proxy
 * in front says (`X-Forwarded-Proto`), else a TLS socket, else the URL's scheme. Or the page's
 * full URL, or a boolean: whether the page is HTTPS. Given none, no `Secure`, so a plain-HTTP
 * page keeps its visitor (see {@link CookieOptions.secure}).
 * @example res.setHeader('Set-Cookie', clientIdSetCookieHeader(clientId, {}, req))
 * @throws TypeError or RangeError on invalid cookie options (see {@link CookieOptions}).
 */
export function clientIdSetCookieHeader(clientId: string, cookie: CookieOptions = {}, page?: boolean | string | RequestLike): string {
  checkCookieOptions(cookie);
  const days = cookie.days ?? DEFAULT_DAYS;
  let value = `${cookie.name || DEFAULT_COOKIE_NAME}=${encodeURIComponent(clientId)}; Path=/; Max-Age=${Math.round(days * 86400)}; SameSite=Lax`;
  if (cookie.domain) value += `; Domain=${cookie.domain}`;
  const secure = cookie.secure ?? (typeof page == 'string' ? httpsUrl(page) : page && typeof page == 'object' ? overHttps(page) : page === true);
  return secure ? value + '; Secure' : value;
}

/**
 * The visitor's id: the given one, else the cookie's, else a new UUID written back to the cookie.
 * Without `document` (servers) nothing is read or written. With cookies blocked the new id
 * simply lives in memory for the page's life.
 * @throws TypeError or RangeError on invalid cookie options (see {@link CookieOptions}).
 */
export function resolveClientId(given: string | undefined, cookie: CookieOptions | false = {}): string {
  if (given) return given;
  if (cookie !== false) checkCookieOptions(cookie);
  if (!pageDocument() || cookie === false) return generateClientId();
  const name = cookie.name || DEFAULT_COOKIE_NAME;
  // A returning visitor's id costs one cookie read: no UUID made, nothing written.
  let id = '';
  try {
    const stored = Cookies.get(name);
    if (isValidClientId(stored)) return stored;
    id = generateClientId();
    Cookies.set(name, id, {
      expires: cookie.days ?? DEFAULT_DAYS,
      path: '/',
      sameSite: 'Lax',
      secure: cookie.secure ?? httpsUrl(pageURL() || ''),
      domain: cookie.domain,
    });
  } catch {
    // Cookies disabled (sandboxed iframe, privacy mode): keep the id in memory.
  }
  return id || generateClientId();
}
