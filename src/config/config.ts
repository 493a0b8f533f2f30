import path from 'node:path';
import { z } from 'zod';

/**
 * The one typed configuration of loopcds. Read from `LOOPCDS_*` environment variables (and `PORT`) by
 * {@link loadConfig}, validated with every error listed at once, deep-frozen and passed in: nothing
 * below src/config reads process.env.
 */
export const configSchema = z
  .object({
    /** TCP port the service listens on. */
    port: z.number().int().min(0).max(65535),
    /** Address to bind. */
    host: z.string().min(1),
    /** Public base URL of the service, used in links; derived from host and port when absent. */
    publicUrl: z.url().optional(),
    /** Folder of knowledge artefacts (CQL, metadata, cards, tests). */
    knowledgeDir: z.string().min(1),
    /** Extra folders of CQL libraries written elsewhere (loaded beside knowledge/). */
    extraLibraryDirs: z.array(z.string().min(1)),
    /** Folder of compiled ELM, cached by content hash. */
    elmCacheDir: z.string().min(1),
    /** Folder of FHIR ValueSet resources. */
    valueSetDir: z.string().min(1),
    /** Folder of CDS service definitions. */
    servicesDir: z.string().min(1),
    /** Hard deadline for all fallback FHIR queries of one hook call, in milliseconds. */
    fhirDeadlineMs: z.number().int().min(50).max(60_000),
    /** Pages of a FHIR search followed within the deadline. */
    fhirMaxPages: z.number().int().min(1).max(100),
    /** Largest request body accepted, in bytes. */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024),
    /** IANA time zone whose offset `now` carries (UK clocks change between GMT and BST). */
    timeZone: z.string().min(1),
    /** Allow the `org.loopcds.evaluation-time` request extension to set `now` (testing and "try it" only). */
    allowEvaluationTimeOverride: z.boolean(),
    /** pino log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    /** CDS client authentication (CDS Hooks 2.0 §Trusting CDS Clients); `off` is a development setting only. */
    auth: z.enum(['on', 'off']),
    /** JSON file listing the trusted EHR issuers; absent: the local development issuer is trusted. */
    trustedIssuersFile: z.string().min(1).optional(),
    /** Folder of the local development issuer key (`loopcds token` signs with it). */
    devIssuerDir: z.string().min(1),
    /** Clock skew tolerated on exp, nbf and iat, in seconds. */
    authClockSkewSeconds: z.number().int().min(0).max(600),
    /** Longest accepted token lifetime (exp − iat), in seconds. */
    authMaxTokenLifetimeSeconds: z.number().int().min(60).max(86_400),
    /** Retries of a failed fallback FHIR query, made only while the deadline leaves time. */
    fhirRetries: z.number().int().min(0).max(5),
    /** Consecutive failures after which a FHIR server's circuit opens. */
    circuitFailureThreshold: z.number().int().min(1).max(1000),
    /** How long an open circuit fails fast before one trial request, in milliseconds. */
    circuitCooldownMs: z.number().int().min(100).max(600_000),
    /** Outcome store in PostgreSQL (postgres:// URL); absent: the embedded SQLite file. */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** The embedded SQLite outcome store file. */
    sqlitePath: z.string().min(1),
    /** Apply outcome store migrations at start; absent: yes for SQLite, no for PostgreSQL. */
    dbAutoMigrate: z.boolean().optional(),
    /** Connections in the PostgreSQL pool of one service instance. */
    dbPoolSize: z.number().int().min(1).max(100),
    /** Record every evaluation, card and feedback in the outcome store (`off`: not recorded at all). */
    outcomeRecording: z.enum(['on', 'off']),
    /** Secret key of the patient pseudonym (HMAC-SHA256); absent: read from, or made once in, pseudonymKeyFile. */
    pseudonymKey: z.string().min(32).optional(),
    /** File holding the pseudonym key when pseudonymKey is not set (made with mode 0600 for SQLite). */
    pseudonymKeyFile: z.string().min(1),
    /** Name of the site recorded with every call; absent: the caller's FHIR server. */
    site: z.string().min(1).max(200).optional(),
    /** Outcome records older than this are deleted by `loopcds db prune`, in days. */
    retentionDays: z.number().int().min(1).max(36_500),
    /** Records held in memory while the store is slow or down; past this they wait in the journal only. */
    outcomeQueueMax: z.number().int().min(100).max(1_000_000),
    /** Records written in one store transaction. */
    outcomeBatchSize: z.number().int().min(1).max(5000),
    /** Longest wait before a partial batch is written, in milliseconds. */
    outcomeFlushMs: z.number().int().min(0).max(60_000),
    /** Append-only journal written before a hook or feedback response is sent. */
    outcomeJournalPath: z.string().min(1),
    /** `write`: survives a crash of the process; `fsync`: also a crash of the machine, at a disk flush per call. */
    outcomeJournalSync: z.enum(['write', 'fsync']),
    /** Largest size of the journal; past it, records that the memory queue cannot hold are dropped, in bytes. */
    outcomeJournalMaxBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .max(1024 * 1024 * 1024 * 1024),
    /** Bearer secret of the admin endpoints (`POST /api/knowledge/reload`); absent: they are disabled. */
    adminToken: z.string().min(32).optional(),
    /** Watch cds-hooks/, knowledge/releases and the ELM index, and reload knowledge when they change. */
    knowledgeWatch: z.enum(['on', 'off']),
    /** Services may run only frozen releases (knowledge/releases), never a working copy. */
    requireReleases: z.boolean(),
    /** The web console at /console (docs/console.md); `off`: not served. */
    console: z.enum(['on', 'off']),
    /** JSON file of console users (username, role, scrypt password hash); made with a first admin if absent. */
    consoleUsersFile: z.string().min(1),
    /** Secret that signs console session cookies; absent: read from, or made once in, consoleSessionKeyFile. */
    consoleSessionSecret: z.string().min(32).optional(),
    /** File holding the session secret when consoleSessionSecret is not set (made with mode 0600). */
    consoleSessionKeyFile: z.string().min(1),
    /** Lifetime of a console session, in minutes. */
    consoleSessionMinutes: z.number().int().min(5).max(10_080), // 1 week
    /** The built console (vite output). */
    consoleAssetsDir: z.string().min(1),
    /** Fixture patients offered by the console's "try it" panel. */
    consoleFixturesDir: z.string().min(1),
  })
  .strict();

export type LoopcdsConfig = Readonly<z.infer<typeof configSchema>>;

/** Thrown when the configuration is invalid; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const ENV_KEYS: Record<string, keyof z.infer<typeof configSchema>> = {
  PORT: 'port',
  LOOPCDS_HOST: 'host',
  LOOPCDS_PUBLIC_URL: 'publicUrl',
  LOOPCDS_KNOWLEDGE_DIR: 'knowledgeDir',
  LOOPCDS_EXTRA_LIBRARY_DIRS: 'extraLibraryDirs',
  LOOPCDS_ELM_CACHE_DIR: 'elmCacheDir',
  LOOPCDS_VALUESET_DIR: 'valueSetDir',
  LOOPCDS_SERVICES_DIR: 'servicesDir',
  LOOPCDS_FHIR_DEADLINE_MS: 'fhirDeadlineMs',
  LOOPCDS_FHIR_MAX_PAGES: 'fhirMaxPages',
  LOOPCDS_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  LOOPCDS_TIME_ZONE: 'timeZone',
  LOOPCDS_ALLOW_EVALUATION_TIME_OVERRIDE: 'allowEvaluationTimeOverride',
  LOOPCDS_LOG_LEVEL: 'logLevel',
  LOOPCDS_AUTH: 'auth',
  LOOPCDS_TRUSTED_ISSUERS: 'trustedIssuersFile',
  LOOPCDS_DEV_ISSUER_DIR: 'devIssuerDir',
  LOOPCDS_AUTH_CLOCK_SKEW_SECONDS: 'authClockSkewSeconds',
  LOOPCDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS: 'authMaxTokenLifetimeSeconds',
  LOOPCDS_FHIR_RETRIES: 'fhirRetries',
  LOOPCDS_CIRCUIT_FAILURE_THRESHOLD: 'circuitFailureThreshold',
  LOOPCDS_CIRCUIT_COOLDOWN_MS: 'circuitCooldownMs',
  LOOPCDS_DATABASE_URL: 'databaseUrl',
  LOOPCDS_SQLITE_PATH: 'sqlitePath',
  LOOPCDS_DB_AUTO_MIGRATE: 'dbAutoMigrate',
  LOOPCDS_DB_POOL_SIZE: 'dbPoolSize',
  LOOPCDS_OUTCOME_RECORDING: 'outcomeRecording',
  LOOPCDS_PSEUDONYM_KEY: 'pseudonymKey',
  LOOPCDS_PSEUDONYM_KEY_FILE: 'pseudonymKeyFile',
  LOOPCDS_SITE: 'site',
  LOOPCDS_RETENTION_DAYS: 'retentionDays',
  LOOPCDS_OUTCOME_QUEUE_MAX: 'outcomeQueueMax',
  LOOPCDS_OUTCOME_BATCH_SIZE: 'outcomeBatchSize',
  LOOPCDS_OUTCOME_FLUSH_MS: 'outcomeFlushMs',
  LOOPCDS_OUTCOME_JOURNAL: 'outcomeJournalPath',
  LOOPCDS_OUTCOME_JOURNAL_SYNC: 'outcomeJournalSync',
  LOOPCDS_OUTCOME_JOURNAL_MAX_BYTES: 'outcomeJournalMaxBytes',
  LOOPCDS_ADMIN_TOKEN: 'adminToken',
  LOOPCDS_KNOWLEDGE_WATCH: 'knowledgeWatch',
  LOOPCDS_REQUIRE_RELEASES: 'requireReleases',
  LOOPCDS_CONSOLE: 'console',
  LOOPCDS_CONSOLE_USERS: 'consoleUsersFile',
  LOOPCDS_CONSOLE_SESSION_SECRET: 'consoleSessionSecret',
  LOOPCDS_CONSOLE_SESSION_KEY_FILE: 'consoleSessionKeyFile',
  LOOPCDS_CONSOLE_SESSION_MINUTES: 'consoleSessionMinutes',
  LOOPCDS_CONSOLE_ASSETS_DIR: 'consoleAssetsDir',
  LOOPCDS_CONSOLE_FIXTURES_DIR: 'consoleFixturesDir',
};

/** Defaults, relative to the project root. Units in the names or comments. */
export function defaultConfig(root: string): z.infer<typeof configSchema> {
  return {
    port: 3000,
    host: '0.0.0.0',
    knowledgeDir: path.join(root, 'knowledge'),
    extraLibraryDirs: [],
    elmCacheDir: path.join(root, 'knowledge', '.build', 'elm'),
    valueSetDir: path.join(root, 'knowledge', 'valuesets'),
    servicesDir: path.join(root, 'cds-hooks'),
    fhirDeadlineMs: 1500, // 1.5 seconds for every fallback query of one call together
    fhirMaxPages: 5,
    bodyLimitBytes: 5 * 1024 * 1024, // 5 MiB: a prefetch of a few hundred resources is ~1 MiB
    timeZone: 'Europe/London',
    allowEvaluationTimeOverride: false,
    logLevel: 'info',
    auth: 'on',
    devIssuerDir: path.join(root, 'data', 'dev-issuer'),
    authClockSkewSeconds: 60, // 1 minute
    authMaxTokenLifetimeSeconds: 600, // 10 minutes; CDS Hooks asks for 5
    fhirRetries: 2,
    circuitFailureThreshold: 5,
    circuitCooldownMs: 10_000, // 10 seconds
    sqlitePath: path.join(root, 'data', 'loopcds.sqlite'),
    dbPoolSize: 5,
    outcomeRecording: 'on',
    pseudonymKeyFile: path.join(root, 'data', 'pseudonym.key'),
    retentionDays: 730, // 2 years: a year-on-year comparison of monthly figures
    outcomeQueueMax: 10_000, // records (~2 KB each in memory)
    outcomeBatchSize: 250,
    outcomeFlushMs: 25, // 25 ms
    outcomeJournalPath: path.join(root, 'data', 'outcome-journal.ndjson'),
    outcomeJournalSync: 'write',
    outcomeJournalMaxBytes: 1024 * 1024 * 1024, // 1 GiB
    knowledgeWatch: 'on',
    requireReleases: false,
    console: 'on',
    consoleUsersFile: path.join(root, 'data', 'console-users.json'),
    consoleSessionKeyFile: path.join(root, 'data', 'console-session.key'),
    consoleSessionMinutes: 480, // 8 hours: one working shift
    consoleAssetsDir: path.join(root, 'dist', 'console'),
    consoleFixturesDir: path.join(root, 'fixtures', 'patients'),
  };
}

function coerce(key: keyof z.infer<typeof configSchema>, raw: string): unknown {
  switch (key) {
    case 'port':
    case 'fhirDeadlineMs':
    case 'fhirMaxPages':
    case 'bodyLimitBytes':
    case 'authClockSkewSeconds':
    case 'authMaxTokenLifetimeSeconds':
    case 'fhirRetries':
    case 'circuitFailureThreshold':
    case 'circuitCooldownMs':
    case 'dbPoolSize':
    case 'retentionDays':
    case 'outcomeQueueMax':
    case 'outcomeBatchSize':
    case 'outcomeFlushMs':
    case 'outcomeJournalMaxBytes':
    case 'consoleSessionMinutes':
      return /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
    case 'allowEvaluationTimeOverride':
    case 'dbAutoMigrate':
    case 'requireReleases':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'extraLibraryDirs':
      return raw
        .split(path.delimiter)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'host':
    case 'publicUrl':
    case 'knowledgeDir':
    case 'elmCacheDir':
    case 'valueSetDir':
    case 'servicesDir':
    case 'timeZone':
    case 'logLevel':
    case 'auth':
    case 'trustedIssuersFile':
    case 'devIssuerDir':
    case 'databaseUrl':
    case 'sqlitePath':
    case 'outcomeRecording':
    case 'pseudonymKey':
    case 'pseudonymKeyFile':
    case 'site':
    case 'outcomeJournalPath':
    case 'outcomeJournalSync':
    case 'adminToken':
    case 'knowledgeWatch':
    case 'console':
    case 'consoleUsersFile':
    case 'consoleSessionSecret':
    case 'consoleSessionKeyFile':
    case 'consoleAssetsDir':
    case 'consoleFixturesDir':
      return raw;
  }
}

/**
 * Builds the configuration from defaults, then environment variables, then explicit overrides,
 * validates it and deep-freezes it.
 */
export function loadConfig(options: {
  root: string;
  env?: Env;
  overrides?: Partial<z.infer<typeof configSchema>>;
}): LoopcdsConfig {
  const env = options.env ?? {};
  const merged: Record<string, unknown> = { ...defaultConfig(options.root) };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const key = ENV_KEYS[name];
    if (key !== undefined) merged[key] = coerce(key, value);
    else if (name.startsWith('LOOPCDS_') && !KNOWN_ELSEWHERE.has(name))
      problems.push(`${name}: unknown setting`);
  }
  Object.assign(merged, options.overrides ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const envName = (key: string) => Object.entries(ENV_KEYS).find(([, v]) => v === key)?.[0] ?? key;
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      problems.push(`${envName(key)}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return deepFreeze(parsed.data);
}

/** Settings read by other entry points (the CLI), not by the service config. */
// LOOPCDS_TEST_DATABASE_URL: the PostgreSQL server the test suite uses (.ci/run exports it), not a service setting.
const KNOWN_ELSEWHERE = new Set<string>(['LOOPCDS_TEST_DATABASE_URL']);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
