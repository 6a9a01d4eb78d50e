/**
 * The redirect guard in a page (src/internal/fetch.ts): the browser follows, and the final
 * response's origin decides. A relative payload URL (the script tag's `features.json`) is on the
 * page's origin, so its answer is kept; an answer that ended on another origin is refused.
 */
import { afterEach, expect, it } from 'vitest';
import { guardedFetch, RedirectRefusedError } from '../../src/internal/fetch';
import { fakeEnvironment } from '../../src/internal/env';

afterEach(() => fakeEnvironment(undefined));

/** A page at `pageUrl`, and a fetch whose answers end at `finalUrl`, recording what was asked. */
function page(pageUrl: string, finalUrl: string) {
  fakeEnvironment({ document: {} as Document, location: { href: pageUrl } as Location });
  const asked: string[] = [];
  const fetchImpl = (async (input: RequestInfo | URL) => {
    asked.push(String(input));
    const response = new Response('{}', { status: 200 });
    Object.defineProperty(response, 'url', { value: finalUrl });
    return response;
  }) as typeof fetch;
  return { asked, fetchImpl };
}

it('keeps the answer to a relative URL that stayed on the page origin', async () => {
  const { asked, fetchImpl } = page('https://shop.example/products/1', 'https://shop.example/plain/features.json');
  const response = await guardedFetch('features.json', {}, [], fetchImpl);
  expect(response.status).toBe(200);
  expect(asked).toEqual(['features.json']);
});

it('refuses an answer to a relative URL that ended on another origin', async () => {
  const { fetchImpl } = page('https://shop.example/products/1', 'https://elsewhere.example/features.json');
  await expect(guardedFetch('features.json', {}, [], fetchImpl)).rejects.toBeInstanceOf(RedirectRefusedError);
});
