/**
 * A circuit breaker per FHIR server (by origin): after `failureThreshold` consecutive failures the
 * circuit opens and calls fail fast for `cooldownMs`; then one trial call is let through (half-open):
 * its success closes the circuit, its failure opens it again. This keeps a down EHR from costing every
 * hook its whole deadline. (A small state machine of our own: the well-known libraries wrap one
 * function per breaker with their own timeouts, which fights the one deadline a hook call has.)
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: CircuitState = 'closed';

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.current === 'open' && this.clock() - this.openedAt >= this.cooldownMs) return 'half-open';
    return this.current;
  }

  /** Whether a call may go out now; in half-open, only one trial at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.current = 'half-open';
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.current = 'closed';
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.current === 'half-open' || this.failures >= this.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.clock();
    }
  }
}

/** The breakers of every FHIR server seen, by origin; shared by all calls of one process. */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  for(origin: string): CircuitBreaker {
    let breaker = this.breakers.get(origin);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(this.failureThreshold, this.cooldownMs, this.clock);
      this.breakers.set(origin, breaker);
    }
    return breaker;
  }

  /** Every server's state, for metrics and the console. */
  states(): Array<{ origin: string; state: CircuitState }> {
    return [...this.breakers].map(([origin, b]) => ({ origin, state: b.state }));
  }
}
