/**
 * The last position this process appended for each usage subject, so that a usage query waits for its own
 * subscription's events only (not for the head of the whole log). Bounded: past `limit` subjects the map starts
 * over and remembers the highest position it forgot, which every forgotten subject is then assumed to have.
 */
export class UsageWrites {
  private readonly last = new Map<string, bigint>();
  private forgotten: bigint;
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

  /** The position the subject's usage must reach to hold everything acknowledged for it so far. */
  required(subject: string): bigint {
    const known = this.last.get(subject);
    return known !== undefined && known > this.forgotten ? known : this.forgotten;
  }
}
