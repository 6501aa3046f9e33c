// The simulator's clock and agenda: a binary min-heap of events ordered by (time, insertion order),
// so simultaneous events run in the order they were scheduled and every run is reproducible.

interface Scheduled {
  at: number;
  order: number;
  run: () => void;
}

export class EventQueue {
  private heap: Scheduled[] = [];
  private inserted = 0;
  /** Simulated milliseconds. */
  now = 0;
  processed = 0;

  at(time: number, run: () => void): void {
    this.push({ at: Math.max(time, this.now), order: this.inserted++, run });
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.now + delayMs, run);
  }

  /** Runs the next event; false when none is due at or before `until`. */
  runNext(until: number): boolean {
    const top = this.heap[0];
    if (top === undefined || top.at > until) return false;
    this.pop();
    this.now = top.at;
    this.processed += 1;
    top.run();
    return true;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i]!;
    this.heap[i] = this.heap[j]!;
    this.heap[j] = t;
  }

  private push(item: Scheduled): void {
    this.heap.push(item);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && this.less(left, smallest)) smallest = left;
      if (right < this.heap.length && this.less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
