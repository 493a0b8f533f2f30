import type { Migration } from './migration.js';

/**
 * The first schema. Times are ISO 8601 text (UTC `Z` for `recorded_at`, `outcome_at`, `received_at`;
 * the local offset for `evaluated_at`), which sorts correctly and reads the same in both databases. JSON
 * lists are text. Grouping keys (service, site, local date, ISO week) are copied onto each release
 * evaluation so the figures need no join. Feedback has no foreign key to `card`: feedback for an unknown
 * card is kept, and reported.
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'initial schema: hook calls, release evaluations, cards, feedback',
  sql: `
CREATE TABLE hook_call (
  id TEXT PRIMARY KEY,
  service_id TEXT NOT NULL,
  hook TEXT NOT NULL,
  hook_instance TEXT NOT NULL,
  evaluated_at TEXT NOT NULL,
  local_date TEXT NOT NULL,
  iso_week TEXT NOT NULL,
  patient_pseudonym TEXT NOT NULL,
  pseudonym_key_id TEXT NOT NULL,
  site TEXT NOT NULL,
  issuer TEXT,
  tenant TEXT,
  prefetch_supplied TEXT NOT NULL,
  prefetch_fetched TEXT NOT NULL,
  prefetch_missing TEXT NOT NULL,
  prefetch_ms DOUBLE PRECISION NOT NULL,
  fallback_ms DOUBLE PRECISION NOT NULL,
  evaluation_ms DOUBLE PRECISION NOT NULL,
  recorded_at TEXT NOT NULL
);
CREATE INDEX hook_call_recorded_at ON hook_call (recorded_at);
CREATE INDEX hook_call_hook_instance ON hook_call (hook_instance);

CREATE TABLE release_evaluation (
  hook_call_id TEXT NOT NULL REFERENCES hook_call (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  release_id TEXT NOT NULL,
  artefact_id TEXT NOT NULL,
  artefact_version TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('active', 'shadow')),
  result TEXT NOT NULL CHECK (result IN ('fired', 'not-fired', 'incomplete', 'error')),
  missing_data TEXT NOT NULL,
  error_outcome TEXT,
  evaluation_ms DOUBLE PRECISION NOT NULL,
  card_count INTEGER NOT NULL,
  service_id TEXT NOT NULL,
  site TEXT NOT NULL,
  local_date TEXT NOT NULL,
  iso_week TEXT NOT NULL,
  PRIMARY KEY (hook_call_id, ordinal)
);
CREATE INDEX release_evaluation_release ON release_evaluation (release_id, local_date);
CREATE INDEX release_evaluation_local_date ON release_evaluation (local_date);

CREATE TABLE card (
  uuid TEXT PRIMARY KEY,
  hook_call_id TEXT NOT NULL REFERENCES hook_call (id) ON DELETE CASCADE,
  evaluation_ordinal INTEGER NOT NULL,
  ordinal INTEGER NOT NULL,
  release_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('active', 'shadow')),
  indicator TEXT NOT NULL,
  summary TEXT NOT NULL,
  suggestion_uuids TEXT NOT NULL,
  suggestion_count INTEGER NOT NULL
);
CREATE INDEX card_hook_call ON card (hook_call_id, evaluation_ordinal);

CREATE TABLE feedback (
  id TEXT PRIMARY KEY,
  service_id TEXT NOT NULL,
  card_uuid TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  accepted_suggestions TEXT NOT NULL,
  accepted_suggestion_count INTEGER NOT NULL,
  override_reason_system TEXT,
  override_reason_code TEXT,
  override_reason_display TEXT,
  user_comment TEXT,
  outcome_timestamp TEXT NOT NULL,
  outcome_at TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX feedback_card ON feedback (card_uuid, outcome_at);
CREATE INDEX feedback_received_at ON feedback (received_at);
`,
};
