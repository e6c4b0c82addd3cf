// A first-in first-out queue with O(1) shift. Array.prototype.shift() moves every element (V8 measured ~100 ns per
// shift at 1,000 elements, Node 24): with the runner's lanes and pending offsets holding up to maxBufferedRecords
// each, that was a fifth of run()'s own CPU per record. Items are read from a head index; the consumed front is cut
// off once it is both large and at least half of the array, so memory stays proportional to what is queued.

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** The item `i` places after the front (0: the front), or undefined. */
  at(i: number): T | undefined {
    return i >= 0 ? this.items[this.head + i] : undefined;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    (this.items as (T | undefined)[])[this.head] = undefined; // no reference kept to what left the queue
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts `list` back at the front, in its order (a retry). */
  unshiftAll(list: readonly T[]): void {
    this.items = [...list, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Takes up to `n` items from the front. */
  take(n: number): T[] {
    const end = Math.min(this.items.length, this.head + n);
    const out = this.items.slice(this.head, end);
    for (let i = this.head; i < end; i++) (this.items as (T | undefined)[])[i] = undefined;
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return out;
  }

  /** Removes the item `i` places after the front (0 <= i < length). */
  removeAt(i: number): void {
    if (i === 0) {
      this.shift();
      return;
    }
    this.items.splice(this.head + i, 1);
  }

  /** Everything queued, front first; the queue is emptied. */
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }

  /** Everything queued, front first (a copy). */
  toArray(): T[] {
    return this.items.slice(this.head);
  }
}
