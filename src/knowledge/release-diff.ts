import { isDeepStrictEqual } from 'node:util';
import { flattenContains, type ValueSet } from '../engine/value-set.js';
import type { ArtefactDefinition } from './artefact-definition.js';
import { diffLines, unifiedHunks } from './line-diff.js';
import type { ReleaseSubject } from './release-subject.js';

export interface CodeChange {
  system: string;
  code: string;
  display?: string;
}

/** What changed between two releases of an artefact, file by file. */
export interface ReleaseChanges {
  a: string;
  b: string;
  /** artefact.json fields that changed, other than the cards and the changelog. */
  metadata: string[];
  /** Changelog entries of b that a does not have: what the author says changed. */
  changelog: ArtefactDefinition['changelog'];
  /** CQL libraries whose text changed (matched by name), with unified-diff hunks. */
  libraries: Array<{ name: string; a: string | null; b: string | null; hunks: string[] }>;
  /** Value sets whose codes changed (matched by url). */
  valueSets: Array<{
    url: string;
    a: string | null;
    b: string | null;
    added: CodeChange[];
    removed: CodeChange[];
  }>;
  /** Card templates added, removed or changed (matched by id), with the fields that changed. */
  cards: Array<{ id: string; change: 'added' | 'removed' | 'changed'; fields: string[] }>;
  tests: { added: string[]; removed: string[]; changed: string[] };
}

/** Compares two releases' files (see release-manifest.ts for their layout). */
export function diffReleases(a: ReleaseSubject, b: ReleaseSubject): ReleaseChanges {
  const defA = a.artefact.definition;
  const defB = b.artefact.definition;
  const metadata = [...new Set([...Object.keys(defA), ...Object.keys(defB)])]
    .filter((k) => k !== 'cards' && k !== 'changelog')
    .filter(
      (k) => !isDeepStrictEqual(defA[k as keyof ArtefactDefinition], defB[k as keyof ArtefactDefinition]),
    )
    .map((k) => describeField(k, defA[k as keyof ArtefactDefinition], defB[k as keyof ArtefactDefinition]));
  const changelog = defB.changelog.filter((c) => !defA.changelog.some((o) => isDeepStrictEqual(o, c)));

  const text = (s: ReleaseSubject, file: string) => s.files.get(file)?.toString('utf8') ?? '';
  const libsA = new Map([a.manifest.library, ...a.manifest.includes].map((l) => [l.name, l]));
  const libsB = new Map([b.manifest.library, ...b.manifest.includes].map((l) => [l.name, l]));
  const libraries: ReleaseChanges['libraries'] = [];
  for (const name of [...new Set([...libsA.keys(), ...libsB.keys()])].sort()) {
    const la = libsA.get(name);
    const lb = libsB.get(name);
    const ta = la === undefined ? '' : text(a, la.cql);
    const tb = lb === undefined ? '' : text(b, lb.cql);
    if (ta === tb) continue;
    libraries.push({
      name,
      a: la?.version ?? null,
      b: lb?.version ?? null,
      hunks: unifiedHunks(diffLines(ta, tb)),
    });
  }

  const setsA = new Map(a.manifest.valueSets.map((v) => [v.url, v]));
  const setsB = new Map(b.manifest.valueSets.map((v) => [v.url, v]));
  const valueSets: ReleaseChanges['valueSets'] = [];
  for (const url of [...new Set([...setsA.keys(), ...setsB.keys()])].sort()) {
    const va = setsA.get(url);
    const vb = setsB.get(url);
    const codesA = va === undefined ? new Map<string, CodeChange>() : codes(text(a, va.file));
    const codesB = vb === undefined ? new Map<string, CodeChange>() : codes(text(b, vb.file));
    const added = [...codesB].filter(([k]) => !codesA.has(k)).map(([, c]) => c);
    const removed = [...codesA].filter(([k]) => !codesB.has(k)).map(([, c]) => c);
    if (added.length === 0 && removed.length === 0 && va !== undefined && vb !== undefined) continue;
    valueSets.push({
      url,
      a: va?.version ?? (va ? '' : null),
      b: vb?.version ?? (vb ? '' : null),
      added,
      removed,
    });
  }

  const cardsA = new Map(defA.cards.map((c) => [c.id, c]));
  const cardsB = new Map(defB.cards.map((c) => [c.id, c]));
  const cards: ReleaseChanges['cards'] = [];
  for (const id of [...new Set([...cardsA.keys(), ...cardsB.keys()])]) {
    const ca = cardsA.get(id);
    const cb = cardsB.get(id);
    if (ca === undefined) cards.push({ id, change: 'added', fields: [] });
    else if (cb === undefined) cards.push({ id, change: 'removed', fields: [] });
    else {
      const fields = [...new Set([...Object.keys(ca), ...Object.keys(cb)])].filter(
        (k) => !isDeepStrictEqual(ca[k as keyof typeof ca], cb[k as keyof typeof cb]),
      );
      if (fields.length > 0) cards.push({ id, change: 'changed', fields });
    }
  }

  const testsOf = (s: ReleaseSubject) =>
    new Map([...s.files].filter(([p]) => p.startsWith('tests/')).map(([p, c]) => [p.slice(6), c]));
  const ta = testsOf(a);
  const tb = testsOf(b);
  const tests = {
    added: [...tb.keys()].filter((k) => !ta.has(k)),
    removed: [...ta.keys()].filter((k) => !tb.has(k)),
    changed: [...ta.keys()].filter((k) => tb.has(k) && !ta.get(k)?.equals(tb.get(k) ?? Buffer.alloc(0))),
  };
  return { a: a.ref, b: b.ref, metadata, changelog, libraries, valueSets, cards, tests };
}

function codes(json: string): Map<string, CodeChange> {
  const vs = JSON.parse(json) as ValueSet;
  const out = new Map<string, CodeChange>();
  for (const c of flattenContains(vs.expansion?.contains ?? [])) {
    if (c.code === undefined) continue;
    out.set(`${c.system ?? ''}|${c.code}`, {
      system: c.system ?? '',
      code: c.code,
      ...(c.display === undefined ? {} : { display: c.display }),
    });
  }
  return out;
}

function describeField(key: string, a: unknown, b: unknown): string {
  const short = (v: unknown) => {
    const s = JSON.stringify(v) ?? 'absent';
    return s.length > 60 ? `${s.slice(0, 57)}…` : s;
  };
  return typeof a === 'object' || typeof b === 'object'
    ? `${key} changed`
    : `${key}: ${short(a)} → ${short(b)}`;
}
