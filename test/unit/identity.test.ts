// @vitest-environment jsdom
import Cookies from 'js-cookie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/index';
import {
  clientIdFromCookieHeader,
  clientIdSetCookieHeader,
  DEFAULT_COOKIE_NAME,
  generateClientId,
} from '../../src/identity';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => {
  for (const name of Object.keys(Cookies.get())) Cookies.remove(name, { path: '/' });
});

describe('client id', () => {
  it('generates a UUID v4, different each time', () => {
    const a = generateClientId();
    const b = generateClientId();
    expect(a).toMatch(UUID_V4);
    expect(b).toMatch(UUID_V4);
    expect(a).not.toBe(b);
  });

  it('falls back to getRandomValues when randomUUID is missing', () => {
    const original = crypto.randomUUID;
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      expect(generateClientId()).toMatch(UUID_V4);
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: original, configurable: true });
    }
  });

  it('creates an id and writes it to the sixpack-js cookie', () => {
    const client = createClient();
    expect(client.clientId).toMatch(UUID_V4);
    expect(Cookies.get(DEFAULT_COOKIE_NAME)).toBe(client.clientId);
  });

  it('reuses the id of an existing sixpack-js visitor', () => {
    Cookies.set(DEFAULT_COOKIE_NAME, 'legacy-visitor-42');
    expect(createClient().clientId).toBe('legacy-visitor-42');
    expect(createClient().clientId).toBe('legacy-visitor-42');
  });

  it('honours a custom cookie name and an explicit id', () => {
    const a = createClient({ cookie: { name: 'my_id' } });
    expect(Cookies.get('my_id')).toBe(a.clientId);
    expect(Cookies.get(DEFAULT_COOKIE_NAME)).toBeUndefined();
    expect(createClient({ clientId: 'given', cookie: { name: 'my_id' } }).clientId).toBe('given');
  });

  it("writes the cookie Secure as the page's protocol says (jsdom's page is http:), or as cookie.secure says", () => {
    const set = vi.spyOn(Cookies, 'set');
    try {
      expect(location.protocol).toBe('http:');
      createClient();
      expect(set).toHaveBeenLastCalledWith(DEFAULT_COOKIE_NAME, expect.any(String), expect.objectContaining({ secure: false }));
      Cookies.remove(DEFAULT_COOKIE_NAME, { path: '/' });
      createClient({ cookie: { secure: true } });
      expect(set).toHaveBeenLastCalledWith(DEFAULT_COOKIE_NAME, expect.any(String), expect.objectContaining({ secure: true }));
    } finally {
      set.mockRestore();
    }
  });

  it('replaces a corrupt cookie value', () => {
    Cookies.set(DEFAULT_COOKIE_NAME, '<script>alert(1)</script>');
    const client = createClient();
    expect(client.clientId).toMatch(UUID_V4);
    expect(Cookies.get(DEFAULT_COOKIE_NAME)).toBe(client.clientId);
  });

  it('keeps the id in memory when cookies are blocked', () => {
    const descriptor = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')!;
    Object.defineProperty(document, 'cookie', { get: () => '', set: () => undefined, configurable: true });
    try {
      const client = createClient();
      expect(client.clientId).toMatch(UUID_V4);
      expect(client.getAttributes().id).toBe(client.clientId);
    } finally {
      Object.defineProperty(document, 'cookie', descriptor);
      delete (document as unknown as Record<string, unknown>).cookie;
    }
  });

  it('defaults attributes.id to the client id whenever the attributes have no id key; an id the app wrote wins', () => {
    expect(createClient({ clientId: 'abc' }).getAttributes()).toEqual({ id: 'abc' });
    expect(createClient({ clientId: 'abc', attributes: { country: 'NL' } }).getAttributes()).toEqual({ id: 'abc', country: 'NL' });
    expect(createClient({ clientId: 'abc', attributes: { id: 'user-7', country: 'NL' } }).getAttributes()).toEqual({ id: 'user-7', country: 'NL' });
    expect(createClient({ clientId: 'abc', attributes: { id: null } }).getAttributes()).toEqual({ id: null });
    const client = createClient({ clientId: 'abc', attributes: { id: 'user-7' } });
    client.setAttributes({ country: 'SE' });
    expect(client.getAttributes()).toEqual({ id: 'abc', country: 'SE' });
  });

  it('attributes without an id still put the visitor in experiments (hashed on the client id)', () => {
    const client = createClient({ clientId: 'abc', cookie: false, stickyBucketStore: false, attributes: { country: 'NL' } });
    expect(client.run({ key: 'e', variations: [0, 1] })).toMatchObject({ inExperiment: true, hashAttribute: 'id', hashValue: 'abc' });
  });
});

describe('cookie header helpers (servers)', () => {
  it('reads the id from a Cookie header', () => {
    expect(clientIdFromCookieHeader('a=1; sixpack_client_id=abc-123; b=2')).toBe('abc-123');
    expect(clientIdFromCookieHeader('mine=x%40y', 'mine')).toBe('x@y');
    expect(clientIdFromCookieHeader('a=1')).toBeUndefined();
    expect(clientIdFromCookieHeader(undefined)).toBeUndefined();
    expect(clientIdFromCookieHeader('sixpack_client_id=%E0%A4%A')).toBeUndefined();
    expect(clientIdFromCookieHeader('sixpack_client_id=a b<c>')).toBeUndefined();
  });

  it('writes a Set-Cookie header the browser client will read back', () => {
    const header = clientIdSetCookieHeader('abc-123', { domain: 'example.com', days: 1 }, true);
    expect(header).toBe('sixpack_client_id=abc-123; Path=/; Max-Age=86400; SameSite=Lax; Domain=example.com; Secure');
    expect(clientIdFromCookieHeader(header.split(';')[0])).toBe('abc-123');
  });

  describe('Secure only where the page is HTTPS', () => {
    const plain = 'sixpack_client_id=v-1; Path=/; Max-Age=34560000; SameSite=Lax';
    const secure = `${plain}; Secure`;
    const set = (page?: Parameters<typeof clientIdSetCookieHeader>[2], cookie = {}) => clientIdSetCookieHeader('v-1', cookie, page);

    it('given nothing to decide from, leaves Secure off (a browser drops a Secure cookie set over plain HTTP)', () => {
      expect(set()).toBe(plain);
      expect(set(undefined, { days: 400 })).toBe(plain);
    });

    it('keeps the boolean third argument: whether the page is HTTPS', () => {
      expect(set(true)).toBe(secure);
      expect(set(false)).toBe(plain);
    });

    it("decides from a Fetch API Request's URL", () => {
      expect(set(new Request('http://staging.example/shop'))).toBe(plain);
      expect(set(new Request('https://shop.example/shop'))).toBe(secure);
    });

    it('decides from X-Forwarded-Proto first (a TLS-terminating proxy in front), its first hop', () => {
      expect(set(new Request('http://10.0.0.7:3000/', { headers: { 'x-forwarded-proto': 'https' } }))).toBe(secure);
      expect(set(new Request('https://10.0.0.7/', { headers: { 'x-forwarded-proto': 'http' } }))).toBe(plain);
      expect(set({ headers: { 'x-forwarded-proto': 'HTTPS, http' }, url: '/' })).toBe(secure);
      expect(set({ headers: { 'x-forwarded-proto': 'http, https' }, url: '/' })).toBe(plain);
    });

    it("decides from Node's request: a path for a URL, so its socket or the proxy's header", () => {
      expect(set({ headers: {}, url: '/shop' })).toBe(plain);
      expect(set({ headers: {}, url: '/shop', socket: { encrypted: true } })).toBe(secure);
      expect(set({ headers: {}, url: '/shop', socket: {} })).toBe(plain);
    });

    it("decides from the page's URL", () => {
      expect(set('http://staging.example/')).toBe(plain);
      expect(set('HTTPS://shop.example/')).toBe(secure);
      expect(set('')).toBe(plain);
    });

    it('cookie.secure says otherwise, whatever the page', () => {
      expect(set(new Request('http://staging.example/'), { secure: true })).toBe(secure);
      expect(set('https://shop.example/', { secure: false })).toBe(plain);
      expect(set(undefined, { secure: true })).toBe(secure);
      expect(() => set(undefined, { secure: 'yes' })).toThrow(TypeError);
    });
  });
});
