/**
 * One versioned change of the outcome store's schema. Versions are consecutive integers from 1; a
 * migration, once released, is never edited (its checksum is stored and checked at every start), only
 * followed by another. The SQL is one text for both databases unless a dialect needs its own.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A dialect's own text, when the common one will not do. */
  postgres?: string;
  sqlite?: string;
}
