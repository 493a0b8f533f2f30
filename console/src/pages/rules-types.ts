/** An artefact release as `GET /console/api/rules` lists it (src/knowledge/knowledge-catalogue.ts). */
export interface Listing {
  ref: string;
  id: string;
  version: string;
  status: string;
  title: string;
  source: 'release' | 'working-copy';
  hash: string;
  releasedAt: string | null;
  services: Array<{ service: string; role: string }>;
  tests: {
    total: number;
    passed: number;
    failed: number;
    ranAt: string;
    current: boolean;
    failing: string[];
  } | null;
}

/** One release in full, as `GET /console/api/rules/{ref}` gives it. */
export interface Detail {
  ref: string;
  source: string;
  hash: string;
  definition: {
    id: string;
    version: string;
    status: string;
    title: string;
    description: string;
    owner: string;
    authors: string[];
    sources: Array<{ label: string; url: string; citation?: string }>;
    changelog: Array<{ version: string; date: string; changes: string[] }>;
    parameters: Record<string, unknown>;
    cardSource: { label: string; url: string };
    cards: Array<{ id: string; indicator: unknown; summary: unknown }>;
  };
  libraries: Array<{ name: string; version: string; cql: string; main: boolean }>;
  valueSets: Array<{ url: string; version: string | null; source: string | null; codes: number | null }>;
  tests: Array<{ name: string; description: string | null; hook: string; now: string; expect: string }>;
  releases: Listing[];
}

/** Rules: every artefact release with status, services and tests; a filter; and the compare form. */
