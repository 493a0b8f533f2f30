import { randomUUID } from 'node:crypto';
import type { RunProgress } from './population-run.js';
import { searchPopulation, type SearchOptions, type SearchResult } from './population-search.js';
import type { ReleaseRef } from './population-knowledge.js';
import { describeSource } from './population-source.js';

/** A run started through the API, as the console sees it. */
export interface RegisteredRun {
  id: string;
  status: 'running' | 'complete' | 'failed';
  createdAt: string;
  finishedAt: string | null;
  asOf: string;
  /** How the source is named (no credentials). */
  source: string;
  artefacts: string;
  /** The releases evaluated, once known. */
  releases: ReleaseRef[];
  /** Patients found so far (all of them once the run is done). */
  patients: number;
  progress: RunProgress & { patientsPerSecond: number; etaSeconds: number | null };
  /** The error's message when failed (no patient data, no token). */
  error?: string;
}

interface Entry {
  run: RegisteredRun;
  result?: SearchResult;
  started: number;
  evaluationStarted?: { at: number; done: number };
}

/**
 * The population runs of this process, for the HTTP API: starts a search in the background, keeps its
 * progress (patients done, rate, ETA) and, once done, its report and action lists in memory (the last
 * `keep` runs; stored runs stay in the run store). One run at a time: a second start while one runs is
 * refused, since both would compete for the same cores as the hooks.
 */
export class RunRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** Everything a search needs but its source, artefacts and date (knowledge, store, workers…). */
    private readonly base: () => Promise<Omit<SearchOptions, 'source' | 'artefacts' | 'asOf'>>,
    private readonly keep = 10,
  ) {}

  get running(): RegisteredRun | undefined {
    return [...this.entries.values()].find((e) => e.run.status === 'running')?.run;
  }

  start(request: Pick<SearchOptions, 'source' | 'artefacts' | 'asOf'>): RegisteredRun {
    if (this.running !== undefined) throw new Error(`run ${this.running.id} is still running`);
    const id = randomUUID();
    const entry: Entry = {
      started: Date.now(),
      run: {
        id,
        status: 'running',
        createdAt: new Date().toISOString(),
        finishedAt: null,
        asOf: request.asOf,
        source: describeSource(request.source),
        artefacts: request.artefacts,
        releases: [],
        patients: 0,
        progress: {
          phase: 'reading',
          patientsDone: 0,
          patientsTotal: 0,
          bytesDone: 0,
          bytesTotal: 0,
          patientsPerSecond: 0,
          etaSeconds: null,
        },
      },
    };
    this.entries.set(id, entry);
    this.trim();
    void this.base()
      .then((base) =>
        searchPopulation({ ...base, ...request, runId: id, onProgress: (p) => this.progress(entry, p) }),
      )
      .then(
        (result) => {
          entry.result = result;
          entry.run.releases = result.report.releases;
          entry.run.patients = result.report.patients;
          entry.run.finishedAt = result.report.finishedAt;
          entry.run.status = 'complete';
        },
        (error: unknown) => {
          entry.run.finishedAt = new Date().toISOString();
          entry.run.status = 'failed';
          entry.run.error = error instanceof Error ? error.message : String(error);
        },
      );
    return entry.run;
  }

  get(id: string): RegisteredRun | undefined {
    return this.entries.get(id)?.run;
  }

  result(id: string): SearchResult | undefined {
    return this.entries.get(id)?.result;
  }

  list(): RegisteredRun[] {
    return [...this.entries.values()]
      .map((e) => e.run)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private progress(entry: Entry, p: RunProgress): void {
    const now = Date.now();
    if (p.phase === 'evaluating' && entry.evaluationStarted === undefined)
      entry.evaluationStarted = { at: now, done: p.patientsDone };
    const since = entry.evaluationStarted;
    const rate =
      since === undefined || now === since.at ? 0 : ((p.patientsDone - since.done) * 1000) / (now - since.at);
    entry.run.patients = p.patientsTotal;
    entry.run.progress = {
      ...p,
      patientsPerSecond: Math.round(rate),
      etaSeconds:
        rate > 0 && p.phase === 'evaluating' ? Math.round((p.patientsTotal - p.patientsDone) / rate) : null,
    };
  }

  private trim(): void {
    const done = [...this.entries.values()]
      .filter((e) => e.run.status !== 'running')
      .sort((a, b) => a.started - b.started);
    while (this.entries.size > this.keep && done.length > 0) this.entries.delete(done.shift()!.run.id);
  }
}
