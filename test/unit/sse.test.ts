/**
 * The event-stream parser: the HTML standard's rules, fed in chunks split anywhere.
 */
import { describe, expect, it } from 'vitest';
import { createEventParser, StreamError, type StreamEvent } from '../../src/plugins/remote/sse';

function parse(chunks: string[], maxChars?: number) {
  const events: StreamEvent[] = [];
  const retries: number[] = [];
  const feed = createEventParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) }, '', maxChars);
  for (const chunk of chunks) feed(chunk);
  return { events, retries };
}

/** Every way of cutting `text` in two. */
const splits = (text: string) => Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);

describe('event-stream parser', () => {
  const stream =
    'retry: 10000\n\n' +
    ': keep-alive comment\n' +
    'id: 7 \nevent: features\ndata: {"features":\ndata: {}}\n\n' +
    'data: \n\n' + // GrowthBook's ping: an unnamed event with empty data
    'event: features-updated\ndata: \n\n' +
    'event: features\r\ndata:no space\r\rdata: crlf\r\n\r\n' +
    'event: features\ndata: never finished';

  const expected: StreamEvent[] = [
    { type: 'features', data: '{"features":\n{}}', lastEventId: '7 ' },
    { type: 'message', data: '', lastEventId: '7 ' },
    { type: 'features-updated', data: '', lastEventId: '7 ' },
    { type: 'features', data: 'no space', lastEventId: '7 ' },
    { type: 'message', data: 'crlf', lastEventId: '7 ' },
  ];

  it('dispatches events with joined data lines, ids, named and unnamed types, and the retry delay', () => {
    const { events, retries } = parse([stream]);
    expect(events).toEqual(expected);
    expect(retries).toEqual([10000]);
  });

  it('gives the same events however the text is cut into chunks, CR LF split included', () => {
    for (const [a, b] of splits(stream)) expect(parse([a!, b!]).events).toEqual(expected);
    expect(parse([...stream]).events).toEqual(expected); // one character at a time
  });

  it('ignores unknown fields, ids with NUL, and retry values that are not digits', () => {
    const { events, retries } = parse(['id: 1\nfoo: bar\nretry: 1e3\nid: a\0b\ndata: x\n\n']);
    expect(events).toEqual([{ type: 'message', data: 'x', lastEventId: '1' }]);
    expect(retries).toEqual([]);
  });

  it('throws on a line or event data past the limit instead of buffering without bound', () => {
    expect(() => parse(['data: ' + 'x'.repeat(100)], 50)).toThrow(/line too long/);
    expect(() => parse(['data: ' + 'x'.repeat(30) + '\ndata: ' + 'y'.repeat(30) + '\n'], 50)).toThrow(/data too long/);
  });

  describe('linear in its input (issue 21: every chunk re-split the whole buffer)', () => {
    /**
     * Characters the string primitives a parser scans with touch while `run` runs: `indexOf`
     * (from its start to what it found), `split` and `match`/`exec` (the whole string), `slice` and
     * `join` (what they build). A work count, not a duration: the same on any machine.
     */
    function charactersTouched(run: () => void): number {
      let touched = 0;
      const proto = String.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
      const regexProto = RegExp.prototype as unknown as Record<string | symbol, (...args: unknown[]) => unknown>;
      const arrayProto = Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
      const originals = { indexOf: proto.indexOf!, slice: proto.slice!, split: proto.split!, exec: regexProto.exec!, join: arrayProto.join! };
      proto.indexOf = function (this: string, ...args: unknown[]) {
        const from = Number(args[1] || 0);
        const found = originals.indexOf.apply(this, args) as number;
        touched += found < 0 ? this.length - from : found - from + 1;
        return found;
      };
      proto.slice = function (this: string, ...args: unknown[]) {
        const result = originals.slice.apply(this, args) as string;
        touched += result.length;
        return result;
      };
      proto.split = function (this: string, ...args: unknown[]) {
        touched += this.length;
        return originals.split.apply(this, args);
      };
      regexProto.exec = function (this: RegExp, ...args: unknown[]) {
        touched += String(args[0]).length;
        return originals.exec.apply(this, args);
      };
      arrayProto.join = function (this: unknown[], ...args: unknown[]) {
        const result = originals.join.apply(this, args) as string;
        touched += result.length;
        return result;
      };
      try {
        run();
      } finally {
        Object.assign(proto, { indexOf: originals.indexOf, slice: originals.slice, split: originals.split });
        regexProto.exec = originals.exec;
        arrayProto.join = originals.join;
      }
      return touched;
    }

    const CHUNK = 16 * 1024;
    const chunksOf = (text: string) => Array.from({ length: Math.ceil(text.length / CHUNK) }, (_, i) => text.slice(i * CHUNK, (i + 1) * CHUNK));

    it('a 5 MiB single-line event fed in 16 KiB chunks is scanned a bounded number of times per character', () => {
      const size = 5 * 1024 * 1024;
      const chunks = chunksOf('event: features\ndata: ' + 'x'.repeat(size) + '\n\n');
      const events: StreamEvent[] = [];
      const feed = createEventParser({ onEvent: (e) => events.push(e) }, '', 8 * 1024 * 1024);
      const touched = charactersTouched(() => chunks.forEach(feed));
      expect(events).toHaveLength(1);
      expect(events[0]!.data.length).toBe(size);
      // Re-splitting the buffer per chunk touched ~160 times the input (quadratic); one pass is a few times it.
      expect(touched).toBeLessThan(8 * size);
    });

    it('rejects an over-long line as soon as it passes the limit, having read at most the limit plus one chunk', () => {
      const limit = 1024 * 1024;
      const chunks = chunksOf('data: ' + 'x'.repeat(5 * limit));
      const feed = createEventParser({ onEvent: () => {} }, '', limit);
      let read = 0;
      let error: unknown;
      const touched = charactersTouched(() => {
        try {
          for (const chunk of chunks) {
            read += chunk.length;
            feed(chunk);
          }
        } catch (e) {
          error = e;
        }
      });
      expect(error).toBeInstanceOf(StreamError);
      expect(String(error)).toMatch(/line too long/);
      expect(read).toBeLessThanOrEqual(limit + CHUNK);
      expect(touched).toBeLessThan(8 * read);
    });

    it('many short lines in one chunk are found in one pass too (no indexOf from each line to the end)', () => {
      const lines = 20_000;
      const text = 'data: x\n'.repeat(lines) + '\n';
      const events: StreamEvent[] = [];
      const feed = createEventParser({ onEvent: (e) => events.push(e) });
      const touched = charactersTouched(() => feed(text));
      expect(events).toHaveLength(1);
      expect(touched).toBeLessThan(8 * text.length);
    });
  });
});
