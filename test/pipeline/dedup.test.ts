import { describe, expect, it } from 'vitest';
import { DedupWindow } from '../../src/pipeline/index.js';

describe('DedupWindow', () => {
  it('reports an id seen within the window as a duplicate', () => {
    const w = new DedupWindow(10);
    expect(w.check('a')).toBe(false);
    expect(w.check('a')).toBe(true);
    expect(w.check('a')).toBe(true);
  });

  it('does not confuse different ids', () => {
    const w = new DedupWindow(10);
    expect(['a', 'b', 'c', 'ab', 'A'].map((id) => w.check(id))).toEqual([false, false, false, false, false]);
    expect(w.size).toBe(5);
  });

  it('remembers the last `capacity` ids', () => {
    const w = new DedupWindow(3);
    for (const id of ['a', 'b', 'c']) w.check(id);
    expect(w.check('c')).toBe(true);
    expect(w.check('b')).toBe(true);
    expect(w.check('a')).toBe(true);
  });

  it('forgets the oldest id once `capacity` newer ids have been seen', () => {
    const w = new DedupWindow(3);
    for (const id of ['a', 'b', 'c', 'd']) expect(w.check(id)).toBe(false);
    // 'a' fell out of the window; 'b', 'c', 'd' are still in it.
    expect(w.check('d')).toBe(true);
    expect(w.check('c')).toBe(true);
    expect(w.check('b')).toBe(true);
    expect(w.check('a')).toBe(false);
  });

  it('a duplicate does not push anything out of the window', () => {
    const w = new DedupWindow(2);
    w.check('a');
    w.check('b');
    for (let i = 0; i < 5; i++) w.check('b');
    expect(w.check('a')).toBe(true);
  });

  it('never holds more than `capacity` ids', () => {
    const w = new DedupWindow(4);
    for (let i = 0; i < 100; i++) {
      w.check(`id-${i}`);
      expect(w.size).toBeLessThanOrEqual(4);
    }
    expect(w.size).toBe(4);
    // The four newest are remembered, anything older is not.
    expect(['id-99', 'id-98', 'id-97', 'id-96'].map((id) => w.check(id))).toEqual([true, true, true, true]);
    expect(w.check('id-95')).toBe(false);
  });

  it('a window of one remembers only the last id', () => {
    const w = new DedupWindow(1);
    w.check('a');
    expect(w.check('a')).toBe(true);
    w.check('b');
    expect(w.check('a')).toBe(false);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new DedupWindow(0)).toThrow(RangeError);
    expect(() => new DedupWindow(-1)).toThrow(RangeError);
    expect(() => new DedupWindow(1.5)).toThrow(RangeError);
  });
});
