import { KnowledgeLoadError, type KnowledgeBase } from './knowledge-base.js';

/** The outcome of one reload. */
export interface KnowledgeReloadReport {
  ok: boolean;
  /** What asked for it: `admin endpoint`, `file change: cds-hooks/x.json`, … */
  trigger: string;
  startedAt: string;
  durationMs: number;
  /** The generation serving after this reload (unchanged when it failed). */
  generation: number;
  /** Why it failed; the previous knowledge is still serving. */
  problems: string[];
}

/** What the holder serves and how the last reload went. */
export interface KnowledgeStatus {
  generation: number;
  loadedAt: string;
  services: Array<{ id: string; active: string[]; shadow: string[] }>;
  lastReload: KnowledgeReloadReport | null;
  /** The last reload that failed, kept until a later one succeeds. */
  failing: KnowledgeReloadReport | null;
}

export interface KnowledgeHolderOptions {
  clock?: () => Date;
  /** Told of every reload, after the swap (or the refusal): logs and metrics. */
  onReload?: (report: KnowledgeReloadReport) => void;
}

/**
 * Holds the knowledge the service runs and swaps it whole. The app reads `current()` once per call, so a
 * call in flight finishes on the snapshot it started with (design.md §2: "swapping atomically"); a reload
 * builds a complete new KnowledgeBase beside the serving one, off the request path, and replaces it with
 * one assignment only when it loaded without a single problem. A reload that fails leaves the previous
 * knowledge serving and is reported. Reloads never overlap: one asked for while another runs waits for it,
 * and any number asked for meanwhile are served by one more reload (file watches fire in bursts).
 */
export class KnowledgeHolder {
  private knowledge: KnowledgeBase;
  private generation = 1;
  private loadedAt: string;
  private lastReload: KnowledgeReloadReport | null = null;
  private failing: KnowledgeReloadReport | null = null;
  private running: Promise<KnowledgeReloadReport> | undefined;
  private queued: Promise<KnowledgeReloadReport> | undefined;
  private readonly clock: () => Date;
  private readonly listeners: Array<(report: KnowledgeReloadReport) => void> = [];

  constructor(
    initial: KnowledgeBase,
    private readonly load: () => Promise<KnowledgeBase>,
    private readonly options: KnowledgeHolderOptions = {},
  ) {
    this.knowledge = initial;
    this.clock = options.clock ?? (() => new Date());
    this.loadedAt = this.clock().toISOString();
  }

  /** Loads the first knowledge (a failure here is a failure to start) and holds it. */
  static async create(
    load: () => Promise<KnowledgeBase>,
    options: KnowledgeHolderOptions = {},
  ): Promise<KnowledgeHolder> {
    return new KnowledgeHolder(await load(), load, options);
  }

  /** Adds a listener told of every reload (logs, metrics). */
  subscribe(listener: (report: KnowledgeReloadReport) => void): void {
    this.listeners.push(listener);
  }

  /** The knowledge serving now. Read it once per call. */
  current(): KnowledgeBase {
    return this.knowledge;
  }

  status(): KnowledgeStatus {
    return {
      generation: this.generation,
      loadedAt: this.loadedAt,
      services: [...this.knowledge.services.values()].map((s) => ({
        id: s.definition.id,
        active: s.active.map((a) => `${a.release.id}@${a.release.version}`),
        shadow: s.shadow.map((a) => `${a.release.id}@${a.release.version}`),
      })),
      lastReload: this.lastReload,
      failing: this.failing,
    };
  }

  /** Loads the knowledge again and swaps it in if it loads; resolves (never rejects) with the report. */
  reload(trigger: string): Promise<KnowledgeReloadReport> {
    if (this.queued !== undefined) return this.queued;
    if (this.running !== undefined) {
      const queued = this.running.then(() => {
        this.queued = undefined;
        return this.start(trigger);
      });
      this.queued = queued;
      return queued;
    }
    return this.start(trigger);
  }

  private start(trigger: string): Promise<KnowledgeReloadReport> {
    const started = this.clock();
    const t0 = performance.now();
    const run = this.load().then(
      (next) => {
        this.knowledge = next; // the swap: one assignment, seen by every call that starts after it
        this.generation += 1;
        this.loadedAt = this.clock().toISOString();
        return this.finish({ ok: true, trigger, started, t0, problems: [] });
      },
      (error: unknown) =>
        this.finish({
          ok: false,
          trigger,
          started,
          t0,
          problems:
            error instanceof KnowledgeLoadError
              ? error.problems
              : [error instanceof Error ? error.message : String(error)],
        }),
    );
    this.running = run;
    void run.then(() => {
      if (this.running === run) this.running = undefined;
    });
    return run;
  }

  private finish(r: {
    ok: boolean;
    trigger: string;
    started: Date;
    t0: number;
    problems: string[];
  }): KnowledgeReloadReport {
    const report: KnowledgeReloadReport = {
      ok: r.ok,
      trigger: r.trigger,
      startedAt: r.started.toISOString(),
      durationMs: Math.round(performance.now() - r.t0),
      generation: this.generation,
      problems: r.problems,
    };
    this.lastReload = report;
    this.failing = r.ok ? null : report;
    for (const listener of [...(this.options.onReload ? [this.options.onReload] : []), ...this.listeners]) {
      try {
        listener(report);
      } catch {
        // a listener's failure must not turn a reload into a rejected promise
      }
    }
    return report;
  }
}
