/**
 * The type of a stream of OperationOutcomes in which a source reports records it could not deliver (a
 * `$export` manifest's error files): counted by the run, never scanned as data.
 */
export const SOURCE_ERROR_TYPE = 'OperationOutcome';

/** One stream of NDJSON lines from a remote source, with the resource type it declares, if any. */
export interface SourceStream {
  type: string | undefined;
  lines: AsyncIterable<string>;
}

/**
 * Where a population comes from. A folder is scanned in parallel by the worker threads; a remote source
 * (Bulk Data `$export`, paged search) streams lines that the main thread scans as they arrive. Either way
 * nothing holds the population in memory.
 */
export type PopulationSource =
  | { kind: 'folder'; dir: string }
  | {
      kind: 'remote';
      /** How the run records the source: no credentials, no patient ids. */
      description: string;
      /**
       * The streams of the resource types asked for (Patient, Organization and Medication are always
       * asked for as well). Medication streams come first, so that references can be resolved.
       */
      open(types: readonly string[], signal?: AbortSignal): AsyncIterable<SourceStream>;
    };

/** How a run records its source. */
export function describeSource(source: PopulationSource): string {
  return source.kind === 'folder' ? `ndjson:${source.dir}` : source.description;
}
