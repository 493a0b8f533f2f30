import { baseOf, expectOk, fhirRequest, type FhirHttpOptions } from './fhir-http.js';
import type { PopulationSource, SourceStream } from './population-source.js';

export interface PagedSearchOptions extends FhirHttpOptions {
  /** The patients to read; absent: every Patient the server lists (`Patient?_count=…`, page by page). */
  patientIds?: readonly string[];
  /** Page size asked for (`_count`). */
  pageSize?: number;
  /** Patients read at the same time. */
  concurrency?: number;
}

interface SearchBundle {
  entry?: Array<{ resource?: { resourceType?: string; id?: string }; search?: { mode?: string } }>;
  link?: Array<{ relation?: string; url?: string }>;
}

/**
 * For servers without `$export`: FHIR RESTful search, patient by patient (http://hl7.org/fhir/R4/search.html).
 * Practices (`Organization`) are read first; then each patient (a list, or every Patient the server
 * pages through) and, for each type the rules read, `<type>?patient=<id>` with every next page (and
 * `_include=MedicationRequest:medication`, so that medicines named by reference can be resolved; included
 * Medications are put before the requests). A few patients are read at once; memory holds only the
 * patients in flight.
 */
export function pagedSearchSource(options: PagedSearchOptions): PopulationSource {
  const base = baseOf(options.baseUrl);
  return {
    kind: 'remote',
    description: `fhir-search:${base}`,
    open: (types, signal) => search(options, base, types, signal),
  };
}

async function* search(
  options: PagedSearchOptions,
  base: string,
  types: readonly string[],
  signal: AbortSignal | undefined,
): AsyncGenerator<SourceStream> {
  const count = options.pageSize ?? 200;
  const get = async (url: string): Promise<SearchBundle> =>
    (await (
      await expectOk(
        await fhirRequest(options, url, {
          headers: { Accept: 'application/fhir+json' },
          ...(signal === undefined ? {} : { signal }),
        }),
        `search ${url.startsWith(base) ? url.slice(base.length).split('?')[0] : ''}`,
      )
    ).json()) as SearchBundle;
  async function* pages(first: string): AsyncGenerator<SearchBundle> {
    let url: string | undefined = first;
    for (let guard = 0; url !== undefined && guard < 100_000; guard++) {
      const page = await get(url);
      yield page;
      url = page.link?.find((l) => l.relation === 'next')?.url;
    }
  }
  const lines = (bundle: SearchBundle): string[] => {
    const entries = (bundle.entry ?? []).filter((e) => e.resource?.resourceType !== undefined);
    const included = entries.filter((e) => e.search?.mode === 'include');
    return [...included, ...entries.filter((e) => e.search?.mode !== 'include')].map((e) =>
      JSON.stringify(e.resource),
    );
  };
  const organizations: string[] = [];
  for await (const page of pages(`${base}/Organization?_count=${count}`)) organizations.push(...lines(page));
  yield { type: 'Organization', lines: iterate(organizations) };

  const readPatient = async (patient: string, patientLines: string[]): Promise<string[]> => {
    const out = [...patientLines];
    for (const type of types) {
      const include = type === 'MedicationRequest' ? '&_include=MedicationRequest:medication' : '';
      for await (const page of pages(
        `${base}/${type}?patient=${encodeURIComponent(patient)}&_count=${count}${include}`,
      ))
        out.push(...lines(page));
    }
    return out;
  };
  const batch = Math.max(1, options.concurrency ?? 8);
  if (options.patientIds !== undefined) {
    for (let i = 0; i < options.patientIds.length; i += batch) {
      const ids = options.patientIds.slice(i, i + batch);
      const records = await Promise.all(
        ids.map(async (id) =>
          readPatient(id, [
            JSON.stringify(
              await (
                await expectOk(
                  await fhirRequest(options, `${base}/Patient/${encodeURIComponent(id)}`, {
                    headers: { Accept: 'application/fhir+json' },
                  }),
                  'read Patient',
                )
              ).json(),
            ),
          ]),
        ),
      );
      yield { type: undefined, lines: iterate(records.flat()) };
    }
    return;
  }
  for await (const page of pages(`${base}/Patient?_count=${count}`)) {
    const patients = (page.entry ?? [])
      .map((e) => e.resource)
      .filter((r) => r?.resourceType === 'Patient' && typeof r.id === 'string');
    for (let i = 0; i < patients.length; i += batch) {
      const records = await Promise.all(
        patients.slice(i, i + batch).map((p) => readPatient(p!.id!, [JSON.stringify(p)])),
      );
      yield { type: undefined, lines: iterate(records.flat()) };
    }
  }
}

function iterate(lines: readonly string[]): AsyncIterable<string> {
  return {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: () =>
          Promise.resolve(
            i < lines.length ? { value: lines[i++]!, done: false } : { value: undefined, done: true },
          ),
      };
    },
  };
}
