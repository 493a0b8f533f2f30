/** One row of `GET /api/outcomes/figures` (src/outcomes/outcome-store.ts ReleaseFigures). */
export interface Figures {
  release: string;
  artefactId: string;
  version: string;
  site: string | null;
  week: string | null;
  evaluations: number;
  activeEvaluations: number;
  shadowEvaluations: number;
  results: { fired: number; notFired: number; incomplete: number; error: number };
  firingRate: number | null;
  cardsShown: number;
  cardsWithFeedback: number;
  accepted: number;
  overridden: number;
  acceptanceRate: number | null;
  overrideRate: number | null;
  overrideReasons: Array<{
    system: string | null;
    code: string | null;
    display: string | null;
    count: number;
  }>;
  suggestionsTaken: number;
  incompleteDataRate: number | null;
  errorRate: number | null;
  evaluationMs: { median: number | null; p95: number | null };
}

/** Two releases on the same calls (src/outcomes/outcome-store.ts ReleaseComparison). */
export interface Comparison {
  artefactId: string;
  a: string;
  b: string;
  calls: number;
  agreed: number;
  disagreed: number;
  disagreementRate: number | null;
  onlyAFired: number;
  onlyBFired: number;
  cardCountDiffered: number;
}

/** Learning dashboard: per rule release, rates over time, override reasons, by site, active against shadow. */
