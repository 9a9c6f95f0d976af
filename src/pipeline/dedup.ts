/**
 * Remembers the last `capacity` trade ids of one source/symbol and answers "seen before?".
 * A ring of ids plus a set: O(1) per trade, bounded memory, oldest forgotten first.
 */
export class DedupWindow {
  private readonly ring: (string | undefined)[];
  private readonly seen = new Set<string>();
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<string | undefined>(capacity);
  }

  /** True when `id` was seen within the window; otherwise records it and returns false. */
  check(id: string): boolean {
    if (this.seen.has(id)) return true;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.seen.delete(evicted);
    this.ring[this.next] = id;
    this.seen.add(id);
    this.next = (this.next + 1) % this.capacity;
    return false;
  }

  get size(): number {
    return this.seen.size;
  }
}
