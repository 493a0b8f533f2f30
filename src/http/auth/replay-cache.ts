import NodeCache from 'node-cache';
import type { Logger } from 'pino';

/**
 * Remembers every `jti` for as long as its token could be valid, so a captured token cannot be
 * replayed (CDS Hooks 2.0 §Trusting CDS Clients: "jti … to prevent replay"). Instances share one cache
 * through the outcome store ({@link SharedReplayCache}); without a store, memory.
 */
export interface ReplayCache {
  /** Records the jti; false when it was already seen (a replay). */
  remember(issuer: string, jti: string, ttlSeconds: number): Promise<boolean>;
}

export class MemoryReplayCache implements ReplayCache {
  private readonly cache = new NodeCache({ useClones: false, checkperiod: 60 }); // sweep expired ids every minute

  remember(issuer: string, jti: string, ttlSeconds: number): Promise<boolean> {
    const key = `${issuer}\u0000${jti}`;
    if (this.cache.has(key)) return Promise.resolve(false);
    this.cache.set(key, true, Math.max(1, Math.ceil(ttlSeconds)));
    return Promise.resolve(true);
  }
}

/** Where a shared cache keeps token ids: the outcome store (`token_replay`). */
export interface TokenMemory {
  rememberToken(issuer: string, jti: string, expiresAtMs: number): Promise<boolean>;
}

/**
 * The replay cache of several instances: the shared outcome store decides, so a token accepted by one
 * instance is refused by all. The store must not take the hook path down with it: when it fails or takes
 * longer than `timeoutMs`, this instance's own memory decides (a replay to the same instance is still
 * refused) and a warning is logged, at most once a minute. The instance's memory records every token in
 * any case.
 */
export class SharedReplayCache implements ReplayCache {
  private readonly local = new MemoryReplayCache();
  private warnedAt = 0;

  constructor(
    private readonly store: TokenMemory,
    private readonly logger: Logger,
    private readonly timeoutMs = 250,
    private readonly clock: () => number = Date.now,
  ) {}

  async remember(issuer: string, jti: string, ttlSeconds: number): Promise<boolean> {
    const freshHere = await this.local.remember(issuer, jti, ttlSeconds);
    if (!freshHere) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.store.rememberToken(issuer, jti, this.clock() + ttlSeconds * 1000),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } catch (error) {
      if (this.clock() - this.warnedAt > 60_000) {
        this.warnedAt = this.clock();
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'the shared token replay cache did not answer: this instance alone checks token ids for now',
        );
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
