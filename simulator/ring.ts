/**
 * A bounded first-in-first-out log: once full, each push overwrites the oldest entry, so a long
 * run keeps the newest `capacity` entries in constant memory.
 */
export class Ring<T> {
  private readonly items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
  }

  /** The newest `n` entries (fewer if there are fewer), oldest first. */
  last(n: number): T[] {
    const all = this.toArray();
    return n <= 0 ? [] : all.slice(-n);
  }

  /** Every entry, oldest first. */
  toArray(): T[] {
    return this.head === 0
      ? [...this.items]
      : [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }
}
