import { resolvePrefetchTemplate } from '../context/prefetch-template.js';

/** A FHIR resource as the emulator reads it. */
export interface EmulatedResource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}

/** The prefetch an EHR would send, and what the emulation could not honour. */
export interface EmulatedPrefetch {
  prefetch: Record<string, unknown>;
  /** Search parameters that were not applied (the search then returns more, never less). */
  notes: string[];
}

/**
 * Plays the EHR for "try it": answers each of the service's prefetch templates (CDS Hooks 2.0 §Prefetch
 * Template) from one patient's record, the way the EHR's FHIR server would — `Type/{{id}}` is a read, `Type?…`
 * a search returning a `searchset` Bundle (an empty one when nothing matches, as a server does). Of the search
 * parameters, `code`, `status`, `category` and `_include=…:medication` are applied; `patient`/`subject` need
 * not be (the record is one patient's); any other parameter is not applied and is named in `notes`, so that
 * the search returns a superset — the rules filter by code and date themselves.
 */
export function emulatePrefetch(
  templates: Readonly<Record<string, string>>,
  context: Readonly<Record<string, unknown>>,
  record: readonly EmulatedResource[],
): EmulatedPrefetch {
  const prefetch: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const [key, template] of Object.entries(templates)) {
    const url = resolvePrefetchTemplate(template, context);
    if (url === undefined) {
      notes.push(`${key}: the template needs a context value this hook does not have; not sent`);
      continue;
    }
    const [pathPart = '', query = ''] = url.split('?', 2);
    const [type = '', id] = pathPart.split('/');
    if (id !== undefined) {
      prefetch[key] = record.find((r) => r.resourceType === type && r.id === id) ?? null;
      continue;
    }
    const params = new URLSearchParams(query);
    let matches = record.filter((r) => r.resourceType === type);
    const included: EmulatedResource[] = [];
    for (const [name, value] of params) {
      switch (name) {
        case 'patient':
        case 'subject':
        case '_count':
        case '_sort':
          break;
        case 'code':
          matches = matches.filter(
            (r) => matchesToken(r['code'], value) || matchesToken(r['medicationCodeableConcept'], value),
          );
          break;
        case 'category':
          matches = matches.filter((r) => asArray(r['category']).some((c) => matchesToken(c, value)));
          break;
        case 'status':
          matches = matches.filter((r) => value.split(',').includes(String(r['status'])));
          break;
        case '_include':
          if (value.endsWith(':medication')) {
            for (const r of matches) {
              const ref = (r['medicationReference'] as { reference?: string } | undefined)?.reference;
              const medication = record.find(
                (m) => m.resourceType === 'Medication' && `Medication/${m.id}` === ref,
              );
              if (medication !== undefined && !included.includes(medication)) included.push(medication);
            }
          } else notes.push(`${key}: _include=${value} was not applied`);
          break;
        default:
          notes.push(`${key}: search parameter ${name} was not applied (all ${type} resources were sent)`);
      }
    }
    prefetch[key] = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      entry: [
        ...matches.map((resource) => ({ resource, search: { mode: 'match' } })),
        ...included.map((resource) => ({ resource, search: { mode: 'include' } })),
      ],
    };
  }
  return { prefetch, notes };
}

/** FHIR token search on a CodeableConcept: `system|code`, `code` or `system|`, any of a comma list. */
function matchesToken(concept: unknown, tokens: string): boolean {
  const codings = asArray((concept as { coding?: unknown } | undefined)?.coding) as Array<{
    system?: string;
    code?: string;
  }>;
  return tokens.split(',').some((token) => {
    const bar = token.indexOf('|');
    const system = bar < 0 ? undefined : token.slice(0, bar);
    const code = bar < 0 ? token : token.slice(bar + 1);
    return codings.some(
      (c) => (system === undefined || c.system === system) && (code === '' || c.code === code),
    );
  });
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}
