// A record the lab server keeps of what happened (deployments, outcomes, UI answers, deviations), bounded:
// a `serve` left running under a fleet would otherwise grow by every update until the process dies. The
// newest `limit` entries are kept, and every entry ever added is counted.

export class History<T> {
  private items: T[] = [];
  private added = 0;

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`History: limit must be an integer ≥ 1, not ${limit}`);
  }

  push(item: T): void {
    this.items.push(item);
    this.added++;
    // Trimmed in one splice once twice the limit is held: a push stays O(1) amortised.
    if (this.items.length >= 2 * this.limit) this.items.splice(0, this.items.length - this.limit);
  }

  /** The kept entries, oldest first (at most `limit`). */
  kept(): T[] {
    return this.items.length > this.limit ? this.items.slice(this.items.length - this.limit) : [...this.items];
  }

  /** Entries ever added, the dropped ones included. */
  get total(): number {
    return this.added;
  }

  /** Entries added and no longer kept. */
  get dropped(): number {
    return this.added - Math.min(this.items.length, this.limit);
  }
}
