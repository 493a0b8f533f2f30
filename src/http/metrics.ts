import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CircuitBreakers } from '../context/circuit-breaker.js';
import type { FeedbackRecord, HookCallRecord, OutcomeRecorder } from '../outcomes/outcome-recorder.js';

const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Prometheus metrics of one service process (prom-client), served at `/metrics`. */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'route'>;
  private readonly hookLatency: Histogram<'service'>;
  private readonly fallback: Counter<'outcome'>;
  private readonly evaluations: Counter<'release' | 'result'>;
  private readonly ruleErrors: Counter<'release'>;
  private readonly feedback: Counter<'outcome'>;

  constructor(breakers: CircuitBreakers, recorderMetrics?: () => { queueDepth?: number } | undefined) {
    collectDefaultMetrics({ register: this.registry, prefix: 'loopcds_' });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'loopcds_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'loopcds_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.hookLatency = new Histogram({
      name: 'loopcds_hook_duration_seconds',
      help: 'CDS Hooks call latency by service (data, evaluation and cards)',
      labelNames: ['service'],
      buckets: [0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.fallback = new Counter({
      name: 'loopcds_fhir_fallback_total',
      help: 'Prefetch keys fetched from the EHR FHIR server, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.evaluations = new Counter({
      name: 'loopcds_rule_evaluations_total',
      help: 'Artefact release evaluations by result',
      labelNames: ['release', 'result'],
      registers,
    });
    this.ruleErrors = new Counter({
      name: 'loopcds_rule_errors_total',
      help: 'Artefact release evaluations that failed',
      labelNames: ['release'],
      registers,
    });
    this.feedback = new Counter({
      name: 'loopcds_feedback_total',
      help: 'Card feedback received, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'loopcds_fhir_circuit_state',
      help: 'Circuit state per EHR FHIR server: 0 closed, 1 half-open, 2 open',
      labelNames: ['origin'],
      registers,
      collect() {
        this.reset();
        for (const { origin, state } of breakers.states()) this.set({ origin }, CIRCUIT_VALUE[state]);
      },
    });
    new Gauge({
      name: 'loopcds_outcome_queue_depth',
      help: 'Outcome records waiting to be written to the store',
      registers,
      collect() {
        this.set(recorderMetrics?.()?.queueDepth ?? 0);
      },
    });
  }

  /** Counts and times every request, labelled by route pattern (never by path, which holds ids). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.latency.startTimer();
      res.on('finish', () => {
        const route = req.route
          ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}`
          : 'unmatched';
        end({ route });
        this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }

  /** Wraps a recorder so that every hook call and feedback also updates the metrics. */
  observe(recorder: OutcomeRecorder): OutcomeRecorder {
    return {
      recordHookCall: (record: HookCallRecord) => {
        const t = record.timings;
        this.hookLatency.observe(
          { service: record.serviceId },
          (t.prefetchMs + t.fallbackMs + t.evaluationMs) / 1000,
        );
        this.fallback.inc({ outcome: 'fetched' }, record.prefetch.fetched.length);
        this.fallback.inc({ outcome: 'unobtainable' }, record.prefetch.missing.length);
        for (const e of record.evaluations) {
          this.evaluations.inc({ release: e.release, result: e.result });
          if (e.result === 'error') this.ruleErrors.inc({ release: e.release });
        }
        recorder.recordHookCall(record);
      },
      recordFeedback: (records: readonly FeedbackRecord[]) => {
        for (const f of records) this.feedback.inc({ outcome: f.outcome });
        recorder.recordFeedback(records);
      },
      close: () => recorder.close(),
    };
  }
}
