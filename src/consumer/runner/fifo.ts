// A first-in first-out queue with O(1) shift: a ring buffer. Array.prototype.shift() moves every element (V8
// measured ~100 ns per shift at 1,000 elements, Node 24): with the runner's lanes and pending offsets holding up to
// maxBufferedRecords each, that was a fifth of run()'s own CPU per record. A ring whose capacity doubles when full
// allocates nothing in the steady state (a head index over a plain array had to copy the array now and then, and
// showed up in profiles as `push`). The capacity is kept: a queue is as large as it has been at its fullest.

export class Fifo<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(4).fill(undefined);
  private mask = 3;
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** The item `i` places after the front (0: the front), or undefined. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.size ? this.items[(this.head + i) & this.mask] : undefined;
  }

  push(item: T): void {
    if (this.size > this.mask) this.grow();
    this.items[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // no reference kept to what left the queue
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return item;
  }

  /** Puts `list` back at the front, in its order (a retry). */
  unshiftAll(list: readonly T[]): void {
    this.reset([...list, ...this.toArray()]);
  }

  /** Takes up to `n` items from the front. */
  take(n: number): T[] {
    const count = Math.min(n, this.size);
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) out[i] = this.shift()!;
    return out;
  }

  /** Removes the item `i` places after the front (0 <= i < length). */
  removeAt(i: number): void {
    if (i === 0) {
      this.shift();
      return;
    }
    if (i < 0 || i >= this.size) return;
    // Moves the items after it one place forward.
    for (let k = i; k < this.size - 1; k++) this.items[(this.head + k) & this.mask] = this.items[(this.head + k + 1) & this.mask];
    this.items[(this.head + this.size - 1) & this.mask] = undefined;
    this.size--;
  }

  /** Everything queued, front first; the queue is emptied. */
  drain(): T[] {
    const out = this.toArray();
    this.reset([]);
    return out;
  }

  /** Everything queued, front first (a copy). */
  toArray(): T[] {
    const out = new Array<T>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.head + i) & this.mask]!;
    return out;
  }

  private grow(): void {
    this.reset(this.toArray(), (this.mask + 1) * 2);
  }

  private reset(list: T[], minCapacity = 4): void {
    let cap = minCapacity;
    while (cap < list.length) cap *= 2;
    const items = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < list.length; i++) items[i] = list[i];
    this.items = items;
    this.mask = cap - 1;
    this.head = 0;
    this.size = list.length;
  }
}
