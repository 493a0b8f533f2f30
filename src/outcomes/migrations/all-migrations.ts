import { initialSchema } from './0001-initial-schema.js';
import type { Migration } from './migration.js';
import { tokenReplay } from './0002-token-replay.js';

/** Every migration, in version order. Add new ones at the end; never edit a released one. */
export const ALL_MIGRATIONS: readonly Migration[] = [initialSchema, tokenReplay];
