/**
 * Limits failed sign-ins, per user name and per client address, so that a password cannot be guessed at
 * speed (OWASP Authentication Cheat Sheet, "Protect against automated attacks"): after `maxFailures`
 * failures within `windowMs`, further attempts are refused until the window has passed. A success clears
 * the user name's count. Per process: with several instances the limit is per instance.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 15 * 60_000, // 15 minutes
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether an attempt for this user from this address may go ahead. */
  allows(username: string, address: string): boolean {
    return (
      this.recent(userKey(username)) < this.maxFailures &&
      this.recent(addressKey(address)) < this.maxFailures * 3
    );
  }

  failed(username: string, address: string): void {
    for (const key of [userKey(username), addressKey(address)]) {
      const list = this.failures.get(key) ?? [];
      list.push(this.clock());
      this.failures.set(key, list);
    }
    if (this.failures.size > 10_000) this.sweep();
  }

  succeeded(username: string): void {
    this.failures.delete(userKey(username));
  }

  private recent(key: string): number {
    const list = this.failures.get(key);
    if (list === undefined) return 0;
    const since = this.clock() - this.windowMs;
    const kept = list.filter((t) => t > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept.length;
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}

const userKey = (username: string) => `u:${username.toLowerCase()}`;
const addressKey = (address: string) => `a:${address}`;
