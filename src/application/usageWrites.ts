/**
 * The last position this process appended for each usage subject, so that a usage query waits for its own
 * subscription's events only (not for the head of the whole log). Bounded: past `limit` subjects the map starts
 * over and remembers the highest position it forgot, which every forgotten subject is then assumed to have. The last
 * domain event appended is a floor for every subject (see `changed`).
 */
export class UsageWrites {
  private readonly last = new Map<string, bigint>();
  private forgotten: bigint;
  private catalog = 0n;
  private readonly limit: number;

  /** `floor`: the head when this process started (appends made before it are not in the map). */
  constructor(floor: bigint, limit = 100_000) {
    this.forgotten = floor;
    this.limit = limit;
  }

  record(subject: string, position: bigint): void {
    if (this.last.size >= this.limit && !this.last.has(subject)) {
      for (const value of this.last.values()) if (value > this.forgotten) this.forgotten = value;
      this.last.clear();
    }
    const known = this.last.get(subject);
    if (known === undefined || position > known) this.last.set(subject, position);
  }

  /**
   * A domain event was appended at `position` (a catalog change: plan, customer, tax, subscription…). Usage read
   * after it must be folded past it: a change of what a subscription charges re-folds its usage, and until the usage
   * projection has seen the change it would still answer the old shape of the usage under the new prices.
   */
  changed(position: bigint): void {
    if (position > this.catalog) this.catalog = position;
  }

  /** The position the subject's usage must reach to hold everything acknowledged for it so far. */
  required(subject: string): bigint {
    const known = this.last.get(subject);
    const own = known !== undefined && known > this.forgotten ? known : this.forgotten;
    return own > this.catalog ? own : this.catalog;
  }
}
