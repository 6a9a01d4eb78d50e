/**
 * Synchronous SHA-1 and MD5 hex digests over UTF-8, for the seed systems whose bucketing hashes
 * with them (Reddit baseplate and Sixpack: SHA-1; Open edX: MD5). WebCrypto would do, but it is
 * async and evaluation is sync. Not for security: both algorithms are broken for that.
 */

let encoder: TextEncoder | undefined;

// The message as 32-bit words with the standard MD-style padding: 0x80, zeros, then the bit
// length in the last 64 bits. SHA-1 is big-endian throughout, MD5 little-endian; that is the
// only difference in how the two lay out their input, so one helper serves both.
function words(str: string, bigEndian: boolean): Int32Array {
  // Created lazily so importing this module has no side effects (tree-shaking).
  const bytes = (encoder ||= new TextEncoder()).encode(str);
  const n = bytes.length;
  const w = new Int32Array((((n + 8) >> 6) + 1) * 16);
  const put = (i: number, byte: number) => {
    w[i >> 2] |= byte << (bigEndian ? 24 - (i & 3) * 8 : (i & 3) * 8);
  };
  for (let i = 0; i < n; i++) put(i, bytes[i]);
  put(n, 0x80);
  const low = (n * 8) >>> 0;
  const high = Math.floor(n / 0x20000000); // n * 8 / 2^32 without overflowing
  w[w.length - (bigEndian ? 1 : 2)] = low;
  w[w.length - (bigEndian ? 2 : 1)] = high;
  return w;
}

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));
const hexBE = (x: number) => (x >>> 0).toString(16).padStart(8, '0');

/** Lowercase hex SHA-1 of the UTF-8 bytes of `str` (what Python's `sha1(s.encode()).hexdigest()` gives). */
export function sha1Hex(str: string): string {
  const w = words(str, true);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const x = new Int32Array(80);
  for (let i = 0; i < w.length; i += 16) {
    for (let t = 0; t < 80; t++) x[t] = t < 16 ? w[i + t] : rotl(x[t - 3] ^ x[t - 8] ^ x[t - 14] ^ x[t - 16], 1);
    let [a, b, c, d, e] = h;
    for (let t = 0; t < 80; t++) {
      const f =
        t < 20 ? ((b & c) | (~b & d)) + 0x5a827999
        : t < 40 ? (b ^ c ^ d) + 0x6ed9eba1
        : t < 60 ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc
        : (b ^ c ^ d) + 0xca62c1d6;
      const next = (rotl(a, 5) + f + e + x[t]) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = next;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
  }
  return h.map(hexBE).join('');
}

// MD5's per-round constants are ⌊|sin(i+1)|·2^32⌋ by definition. Computing them keeps the table
// out of the bundle; every value sits ≥ 0.015 away from an integer, so any engine's sin (off by
// an ulp or two at most) floors to the same constant.
let md5K: number[] | undefined;
const MD5_SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/** Lowercase hex MD5 of the UTF-8 bytes of `str` (what Python's `md5(s.encode()).hexdigest()` gives). */
export function md5Hex(str: string): string {
  const K = (md5K ||= Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0));
  const w = words(str, false);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let i = 0; i < w.length; i += 16) {
    let [a, b, c, d] = h;
    for (let t = 0; t < 64; t++) {
      const r = t >> 4;
      const f = r === 0 ? (b & c) | (~b & d) : r === 1 ? (d & b) | (~d & c) : r === 2 ? b ^ c ^ d : c ^ (b | ~d);
      const g = r === 0 ? t : r === 1 ? (5 * t + 1) & 15 : r === 2 ? (3 * t + 5) & 15 : (7 * t) & 15;
      const next = (b + rotl((a + f + K[t] + w[i + g]) | 0, MD5_SHIFTS[r * 4 + (t & 3)])) | 0;
      a = d;
      d = c;
      c = b;
      b = next;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
  }
  // MD5 emits each word's bytes low byte first.
  let out = '';
  for (const v of h) for (let k = 0; k < 32; k += 8) out += ((v >>> k) & 255).toString(16).padStart(2, '0');
  return out;
}
