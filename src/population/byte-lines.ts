/**
 * A block of NDJSON bytes with forward-only searches: lines are looked at in order, so the next
 * occurrence of a needle found for one line is kept for the following ones, and the block is searched
 * once per needle however many lines it holds.
 */
export class ByteLines {
  private readonly next = new Map<Buffer, number>();

  constructor(
    readonly buffer: Buffer,
    readonly length: number,
  ) {}

  /** The first offset of `needle` at or after `from`, or `length` when there is none. */
  find(needle: Buffer, from: number): number {
    let at = this.next.get(needle);
    if (at === undefined || at < from) {
      const found = this.buffer.indexOf(needle, from);
      at = found === -1 || found >= this.length ? this.length : found;
      this.next.set(needle, at);
    }
    return at;
  }
}

/** JSON white space (RFC 8259 §2), as a byte. */
export function isBlank(byte: number): boolean {
  return byte === 32 || byte === 9 || byte === 10 || byte === 13;
}
