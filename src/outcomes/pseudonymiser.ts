import { createHash, createHmac } from 'node:crypto';

/**
 * Patient pseudonyms for the outcome store: HMAC-SHA256 (RFC 2104 with SHA-256) under a secret key, over
 * the site and the patient id. The same patient at the same site always gets the same pseudonym, so
 * figures can count patients and follow one over time; without the key the id cannot be recovered or
 * confirmed by guessing (a plain hash of an NHS number could be reversed by trying every number). The site
 * is part of the input because a FHIR id names a patient only within its own server.
 */
export class Pseudonymiser {
  /** Names the key without revealing it: the first 12 hex digits of SHA-256 of the key. */
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: string) {
    if (key.length < 32) throw new RangeError('the pseudonym key must be at least 32 characters');
    this.#key = Buffer.from(key, 'utf8');
    this.keyId = createHash('sha256').update(this.#key).digest('hex').slice(0, 12);
  }

  /** The pseudonym of a patient id at a site: 64 hex digits. */
  pseudonym(site: string, patientId: string): string {
    // A NUL separator: neither a site nor a FHIR id can contain it, so ("a", "bc") ≠ ("ab", "c").
    return createHmac('sha256', this.#key).update(site).update('\u0000').update(patientId).digest('hex');
  }
}
