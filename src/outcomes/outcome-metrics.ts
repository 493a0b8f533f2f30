import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the recorder has done since it started: the `metrics()` snapshot. */
export interface OutcomeRecorderMetrics {
  /** Records waiting in memory, and the most the queue holds. */
  queueDepth: number;
  queueCapacity: number;
  /** Bytes in the journal, and its files still to be replayed into the store. */
  journalBytes: number;
  journalFilesWaiting: number;
  /** Records handed to the recorder (hook calls and feedback entries). */
  recorded: number;
  /** Records written to the store from the queue, and from the journal (replay). */
  written: number;
  replayed: number;
  /** Records kept in the journal only because the memory queue was full. */
  spilled: number;
  /** Records lost: the queue was full and the journal could not take them. */
  dropped: number;
  /** Failed batch writes (each is retried), and failed journal appends. */
  writeErrors: number;
  journalErrors: number;
  /** Whether the last write to the store succeeded. */
  storeUp: boolean;
}

type CountName =
  'recorded' | 'written' | 'replayed' | 'spilled' | 'dropped' | 'writeErrors' | 'journalErrors';

/**
 * The recorder's counters, kept both as plain numbers (for `metrics()`) and as prom-client metrics in
 * `registry`, ready for a `/metrics` endpoint (Prometheus naming: `_total` counters, base units).
 */
export class OutcomeMetrics {
  readonly registry: Registry;
  readonly #counts: Record<CountName, number> = {
    recorded: 0,
    written: 0,
    replayed: 0,
    spilled: 0,
    dropped: 0,
    writeErrors: 0,
    journalErrors: 0,
  };
  readonly #counters: Record<CountName, Counter>;
  readonly #batchSeconds: Histogram;

  constructor(
    gauges: () => Pick<OutcomeRecorderMetrics, 'queueDepth' | 'journalBytes' | 'storeUp'>,
    registry: Registry = new Registry(),
  ) {
    this.registry = registry;
    const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
    this.#counters = {
      recorded: counter('loopcds_outcome_records_recorded_total', 'Outcome records handed to the recorder.'),
      written: counter(
        'loopcds_outcome_records_written_total',
        'Outcome records written to the store from the queue.',
      ),
      replayed: counter(
        'loopcds_outcome_records_replayed_total',
        'Outcome records written to the store from the journal.',
      ),
      spilled: counter(
        'loopcds_outcome_records_spilled_total',
        'Outcome records kept in the journal only (queue full).',
      ),
      dropped: counter(
        'loopcds_outcome_records_dropped_total',
        'Outcome records lost: queue full and journal unavailable or full.',
      ),
      writeErrors: counter(
        'loopcds_outcome_write_errors_total',
        'Failed outcome store batch writes (retried).',
      ),
      journalErrors: counter('loopcds_outcome_journal_errors_total', 'Failed outcome journal appends.'),
    };
    new Gauge({
      name: 'loopcds_outcome_queue_depth',
      help: 'Outcome records waiting in memory for the store.',
      registers: [registry],
      collect() {
        this.set(gauges().queueDepth);
      },
    });
    new Gauge({
      name: 'loopcds_outcome_journal_bytes',
      help: 'Bytes in the outcome journal.',
      registers: [registry],
      collect() {
        this.set(gauges().journalBytes);
      },
    });
    new Gauge({
      name: 'loopcds_outcome_store_up',
      help: '1 when the last outcome store write succeeded.',
      registers: [registry],
      collect() {
        this.set(gauges().storeUp ? 1 : 0);
      },
    });
    this.#batchSeconds = new Histogram({
      name: 'loopcds_outcome_batch_write_seconds',
      help: 'Time to write one batch to the outcome store.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  add(name: CountName, n = 1): void {
    this.#counts[name] += n;
    this.#counters[name].inc(n);
  }

  observeBatch(seconds: number): void {
    this.#batchSeconds.observe(seconds);
  }

  get counts(): Readonly<Record<CountName, number>> {
    return this.#counts;
  }
}
