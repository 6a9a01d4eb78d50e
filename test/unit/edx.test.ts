import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { edxBucket, forcedBucket } from '../../src/plugins/edx';

// An independent reference: edX's own steps (stable_bucketing.py) with node:crypto and BigInt.
//   int(re.sub('[8-9a-f]', '1', re.sub('[0-7]', '0', md5(group + user).hexdigest())), 2) % n
function reference(group: string, user: string, n: number): number {
  const hex = createHash('md5').update(group + user, 'utf8').digest('hex');
  const bits = hex.replace(/[0-7]/g, '0').replace(/[89a-f]/g, '1');
  return Number(BigInt('0b' + bits) % BigInt(n));
}

describe('edxBucket', () => {
  it('matches values computed with edX’s Python code', () => {
    // python3: stable_bucketing_hash_group(group, n, user) with these inputs.
    expect(edxBucket('exp.course-v1:edX+DemoX+Demo_Course', 'alice')).toBe(0); // bits = 326740514
    expect(edxBucket('exp.course-v1:edX+DemoX+Demo_Course', 'alice', 3)).toBe(2);
    expect(edxBucket('my_flag', 'bob')).toBe(1); // bits = 3031322831
    expect(edxBucket('my_flag', 'bob', 3)).toBe(2);
    expect(edxBucket('flag', 'zoë', 3)).toBe(2); // UTF-8, as Python's .encode('utf-8')
    expect(edxBucket('', '', 2)).toBe(1); // md5('') = d41d8cd9…: bits = 2680743921
  });

  it('matches the node:crypto + BigInt reference for many users and bucket counts', () => {
    for (const n of [2, 3, 4, 5, 7, 10, 1000]) {
      for (let i = 0; i < 200; i++) {
        const user = `user${i}`;
        expect(edxBucket('my_flag.course-v1:X+Y+Z', user, n)).toBe(reference('my_flag.course-v1:X+Y+Z', user, n));
      }
    }
  });

  it('defaults to 2 buckets', () => {
    for (let i = 0; i < 50; i++) expect(edxBucket('g', `u${i}`)).toBe(reference('g', `u${i}`, 2));
  });

  it.each([2, 3])('spreads users evenly over %i buckets', (n) => {
    const counts = new Array<number>(n).fill(0);
    const users = 12000;
    for (let i = 0; i < users; i++) counts[edxBucket('experiment.flag', `student_${i}`, n)]++;
    for (const c of counts) expect(Math.abs(c - users / n) / (users / n)).toBeLessThan(0.05);
  });

  it('depends on the group name (course-aware bucketing moves users)', () => {
    let moved = 0;
    for (let i = 0; i < 200; i++) if (edxBucket('flag.course-a', `u${i}`) !== edxBucket('flag.course-b', `u${i}`)) moved++;
    expect(moved).toBeGreaterThan(50);
  });

  it('gives control (0) for a nonsensical bucket count instead of NaN', () => {
    expect(edxBucket('g', 'u', 0)).toBe(0);
    expect(edxBucket('g', 'u', -2)).toBe(0);
    expect(edxBucket('g', 'u', 2.5)).toBe(0);
    expect(edxBucket('g', 'u', Number.NaN)).toBe(0);
    expect(edxBucket('g', 'u', 1)).toBe(0);
  });
});

describe('forcedBucket', () => {
  const staff = { is_staff: true };
  const beta = { email: { $regex: '@beta\\.example$' } };

  it('returns null when no rule matches', () => {
    expect(forcedBucket([{ bucket: 1, condition: staff }], { is_staff: false })).toBeNull();
    expect(forcedBucket([], { is_staff: true })).toBeNull();
  });

  it('returns the bucket of a matching rule', () => {
    expect(forcedBucket([{ bucket: 2, condition: staff }], { is_staff: true })).toBe(2);
  });

  it('lets the lowest matching bucket win, whatever the rule order', () => {
    const attrs = { is_staff: true, email: 'a@beta.example' };
    const rules = [
      { bucket: 3, condition: staff },
      { bucket: 1, condition: beta },
      { bucket: 2, condition: staff },
    ];
    expect(forcedBucket(rules, attrs)).toBe(1);
    expect(forcedBucket([...rules].reverse(), attrs)).toBe(1);
    expect(forcedBucket(rules, { is_staff: true, email: 'a@example.com' })).toBe(2);
  });

  it('can force control (bucket 0), which beats every other bucket', () => {
    const rules = [
      { bucket: 1, condition: staff },
      { bucket: 0, condition: { country: 'DE' } },
    ];
    expect(forcedBucket(rules, { is_staff: true, country: 'DE' })).toBe(0);
  });

  it('passes saved groups to the conditions', () => {
    const rules = [{ bucket: 1, condition: { id: { $inGroup: 'testers' } } }];
    expect(forcedBucket(rules, { id: 'u1' }, { testers: ['u1'] })).toBe(1);
    expect(forcedBucket(rules, { id: 'u2' }, { testers: ['u1'] })).toBeNull();
  });

  it('ignores malformed rules instead of throwing', () => {
    const rules = [
      { bucket: -1, condition: {} },
      { bucket: 0.5, condition: {} },
      { bucket: Number.NaN, condition: {} },
      null as unknown as { bucket: number; condition: Record<string, unknown> },
      { bucket: 4, condition: 'nope' as unknown as Record<string, unknown> },
      { bucket: 5, condition: {} },
    ];
    expect(forcedBucket(rules, {})).toBe(5);
  });
});
