// @vitest-environment jsdom
import Cookies from 'js-cookie';
import { afterEach, describe, expect, it } from 'vitest';
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
    const header = clientIdSetCookieHeader('abc-123', { domain: 'example.com', days: 1 });
    expect(header).toBe('sixpack_client_id=abc-123; Path=/; Max-Age=86400; SameSite=Lax; Domain=example.com; Secure');
    expect(clientIdFromCookieHeader(header.split(';')[0])).toBe('abc-123');
  });
});
