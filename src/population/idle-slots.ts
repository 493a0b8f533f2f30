/**
 * Hands out a fixed set of slots (worker threads) one caller at a time: a caller takes an idle slot at
 * once, or waits until one is released to it. Taking is synchronous, so callers started together (a
 * `Promise.all` over every partition of a run) are spread over the slots instead of all seeing the first
 * one idle before any marks it busy, which sent a whole run to one thread.
 */
export class IdleSlots<T> {
  private readonly idle: T[];
  private readonly queue: Array<(slot: T) => void> = [];

  constructor(slots: readonly T[]) {
    this.idle = [...slots];
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** An idle slot, now busy; or a promise of the next one released. */
  acquire(): Promise<T> {
    const slot = this.idle.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise<T>((resolve) => this.queue.push(resolve));
  }

  /** Gives a slot back: to the longest-waiting caller, or to the idle ones. */
  release(slot: T): void {
    const next = this.queue.shift();
    if (next !== undefined) next(slot);
    else this.idle.push(slot);
  }

  /** Adds a slot (a thread that has just started). */
  add(slot: T): void {
    this.release(slot);
  }
}
