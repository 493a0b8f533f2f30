import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LoopcdsConfig } from '../config/config.js';
import { OutcomeJournal } from './outcome-journal.js';
import { DiscardingOutcomeRecorder, type OutcomeRecorder } from './outcome-recorder.js';
import type { OutcomeStore } from './outcome-store.js';
import { openOutcomeStore, prepareOutcomeSchema } from './open-outcome-store.js';
import { loadPseudonymKey } from './pseudonym-key.js';
import { Pseudonymiser } from './pseudonymiser.js';
import { QueuedOutcomeRecorder } from './queued-outcome-recorder.js';

/** The outcome store and the recorder that feeds it, as the service runs them. */
export interface Outcomes {
  /** Undefined when recording is off. */
  store: OutcomeStore | undefined;
  recorder: OutcomeRecorder;
  /** Drains the recorder, then closes the journal and the store. */
  close(): Promise<void>;
}

/**
 * Opens the configured store (checking, and for SQLite by default migrating, its schema), the pseudonym
 * key and the journal, and starts the recorder, which first replays whatever an earlier run left in the
 * journal. Fails (and the service does not start) when the store cannot be reached, its schema is not
 * this code's, the key is missing for a shared store, or another live process holds the journal.
 */
export async function initOutcomes(
  config: LoopcdsConfig,
  logger: Logger,
  options: { registry?: Registry } = {},
): Promise<Outcomes> {
  if (config.outcomeRecording === 'off') {
    logger.warn(
      'outcome recording is off (LOOPCDS_OUTCOME_RECORDING=off): no evaluation or feedback is recorded',
    );
    const recorder = new DiscardingOutcomeRecorder();
    return { store: undefined, recorder, close: () => recorder.close() };
  }
  const store = openOutcomeStore(config, logger);
  try {
    await prepareOutcomeSchema(store, config, logger);
    const key = loadPseudonymKey({
      configured: config.pseudonymKey,
      file: config.pseudonymKeyFile,
      mayCreate: store.backend === 'sqlite',
      logger,
    });
    const journal = OutcomeJournal.open({
      file: config.outcomeJournalPath,
      sync: config.outcomeJournalSync,
      maxBytes: config.outcomeJournalMaxBytes,
    });
    const recorder = new QueuedOutcomeRecorder({
      store,
      journal,
      pseudonymiser: new Pseudonymiser(key),
      site: config.site,
      queueMax: config.outcomeQueueMax,
      batchSize: config.outcomeBatchSize,
      flushMs: config.outcomeFlushMs,
      logger,
      registry: options.registry,
    });
    logger.info(
      { store: store.location, backend: store.backend, journal: config.outcomeJournalPath },
      'outcome store open',
    );
    return {
      store,
      recorder,
      close: async () => {
        await recorder.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
