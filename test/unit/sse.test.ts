/**
 * The event-stream parser: the HTML standard's rules, fed in chunks split anywhere.
 */
import { describe, expect, it } from 'vitest';
import { createEventParser, type StreamEvent } from '../../src/plugins/remote/sse';

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
});
