import NodeCache from 'node-cache';

/**
 * Remembers every `jti` for as long as its token could be valid, so a captured token cannot be
 * replayed (CDS Hooks 2.0 §Trusting CDS Clients: "jti … to prevent replay"). Several instances share
 * one cache through the outcome store; one instance can use memory.
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
