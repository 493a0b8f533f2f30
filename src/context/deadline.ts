/**
 * One deadline shared by every fallback query of a hook call (design.md §4: "all queries in parallel
 * under one configurable deadline"). Its signal aborts in-flight requests when time runs out.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  readonly expiresAt: number;

  constructor(
    readonly budgetMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.expiresAt = clock() + budgetMs;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceededError(budgetMs)), budgetMs);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.expiresAt - this.clock());
  }

  get expired(): boolean {
    return this.controller.signal.aborted || this.remainingMs() === 0;
  }

  /** Stops the timer once the work it guards is done. */
  close(): void {
    clearTimeout(this.timer);
  }
}

export class DeadlineExceededError extends Error {
  constructor(budgetMs: number) {
    super(`The ${budgetMs} ms deadline for fetching data passed`);
    this.name = 'DeadlineExceededError';
  }
}
