import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SystemModelInfoProvider } from '@cqframework/cql/cql';
import {
  CqlCompilerOptions,
  CqlTranslator,
  LibraryBuilder,
  LibraryManager,
  ModelManager,
  createLibrarySourceProvider,
  createModelInfoProvider,
  createUcumService,
  stringAsSource,
} from '@cqframework/cql/cql-to-elm';
import {
  dedupeDiagnostics,
  compareDiagnostics,
  diagnosticsFromElm,
  type Diagnostic,
} from './cql-diagnostic.js';
import {
  FHIR_HELPERS,
  libraryKey,
  parseLibraryHeader,
  readBundledFhirHelpers,
  type CqlSource,
  type LibraryHeader,
  type LibraryRef,
} from './cql-source.js';
import {
  DEFAULT_TRANSLATOR_OPTIONS,
  fhirModelInfoFile,
  type TranslatorOptions,
} from './translator-options.js';

export type { CqlSource, LibraryRef } from './cql-source.js';
export { formatDiagnostic, type Diagnostic } from './cql-diagnostic.js';

/**
 * CQL → ELM with the official translator (@cqframework/cql, the Kotlin translator compiled to JS).
 *
 * One {@link ElmTranslator} holds one long-lived ModelManager and LibraryManager, so the FHIR model info is
 * parsed once and an included library (FHIRHelpers above all, ~1 s) is compiled once per instance. The
 * translator leaks memory per translation and costs 1–3 s to warm up: use it at build time, in a worker
 * that is recycled (translator-worker.ts), never on the request path. Setup facts and pitfalls:
 * /work/shared/notes/cql-in-node.md.
 */

const require = createRequire(import.meta.url);

/** The ELM of one library, as `toJson()` gives it and cql-execution reads it. */
export interface ElmJson {
  library: {
    identifier?: { id?: string; version?: string };
    annotation?: unknown[];
    statements?: { def?: Array<{ name: string; type?: string } & Record<string, unknown>> };
  } & Record<string, unknown>;
}

export interface TranslatedLibrary {
  /** The source file it came from. */
  path: string;
  /** As the ELM names it; id is '' when the CQL declares no library. */
  identifier: LibraryRef;
  elm: ElmJson;
  /** This library's diagnostics, including those of the libraries it includes (located in their files). */
  diagnostics: Diagnostic[];
}

export interface TranslationResult {
  libraries: TranslatedLibrary[];
  /** Every diagnostic of this translation, once each, ordered by file and position. */
  diagnostics: Diagnostic[];
}

export interface ElmTranslatorOptions {
  options?: TranslatorOptions;
  /** Paths of our own FHIRHelpers are shown relative to this folder (default: the current directory). */
  baseDir?: string;
}

/** The ucum-lhc calls we use (the package ships no types). */
interface UcumLhcUtils {
  validateUnitString(unit: string): { status: string; msg: string[] };
  convertUnitTo(
    from: string,
    value: number,
    to: string,
  ): { status: string; toVal: number | null; msg: string[] };
}

function ucumUtils(): UcumLhcUtils {
  const ucum = require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumLhcUtils } };
  return ucum.UcumLhcUtils.getInstance();
}

/** A source with its header read and its place in the include graph. */
interface IndexedSource extends CqlSource {
  header: LibraryHeader | undefined;
}

export class ElmTranslator {
  readonly #libraryManager: LibraryManager;
  readonly #fhirHelpers: CqlSource;
  /** What the library source provider answers, by `name|version` and by name (the engine asks by name). */
  #byKey = new Map<string, IndexedSource>();
  #byId = new Map<string, IndexedSource>();
  /** Texts the LibraryManager may have compiled, to know which compiled libraries went stale. */
  readonly #compiledTexts = new Map<string, IndexedSource>();

  constructor(options: ElmTranslatorOptions = {}) {
    const translatorOptions = options.options ?? DEFAULT_TRANSLATOR_OPTIONS;
    this.#fhirHelpers = readBundledFhirHelpers(options.baseDir ?? process.cwd());
    const fhirModelInfo = readFileSync(fhirModelInfoFile(), 'utf8');

    const modelManager = new ModelManager();
    // The System model is not registered by default in JS: there is no ServiceLoader.
    modelManager.modelInfoLoader.registerModelInfoProvider(new SystemModelInfoProvider());
    modelManager.modelInfoLoader.registerModelInfoProvider(
      createModelInfoProvider((id, _system, version) =>
        id === 'FHIR' && (version == null || version === '4.0.1')
          ? (stringAsSource(fhirModelInfo) as unknown)
          : null,
      ),
    );

    const compilerOptions = CqlCompilerOptions.defaultOptions();
    compilerOptions.setOptions(
      translatorOptions.compilerOptions.map((name) => CqlCompilerOptions.Options.valueOf(name)),
    );
    compilerOptions.signatureLevel = LibraryBuilder.SignatureLevel.valueOf(translatorOptions.signatureLevel);
    compilerOptions.validateUnits = translatorOptions.validateUnits;

    this.#libraryManager = new LibraryManager(modelManager, compilerOptions, null, ucumService());
    this.#libraryManager.librarySourceLoader.registerProvider(
      createLibrarySourceProvider((id, _system, version) => {
        const source = version == null ? this.#byId.get(id) : this.#byKey.get(libraryKey({ id, version }));
        return source === undefined ? null : (stringAsSource(source.text) as unknown);
      }),
    );
  }

  /**
   * Translates libraries. Includes resolve from `sources` and, unless they hold their own FHIRHelpers 4.0.1,
   * from our FHIRHelpers.
   * @param targets paths of the sources to translate (default: all of them); the others only serve includes.
   */
  translate(sources: readonly CqlSource[], targets?: readonly string[]): TranslationResult {
    const diagnostics: Diagnostic[] = [];
    const indexed = sources.map((s): IndexedSource => ({ ...s, header: parseLibraryHeader(s.text) }));
    const byKey = new Map<string, IndexedSource>();
    for (const source of indexed) {
      if (source.header === undefined) continue;
      const key = libraryKey(source.header);
      const first = byKey.get(key);
      if (first === undefined) {
        byKey.set(key, source);
      } else {
        diagnostics.push({
          path: source.path,
          line: source.header.line,
          column: 1,
          severity: 'error',
          message: `Library ${source.header.id} version '${source.header.version ?? ''}' is also defined in ${first.path}.`,
        });
      }
    }
    const helpersKey = libraryKey(FHIR_HELPERS);
    if (!byKey.has(helpersKey)) {
      byKey.set(helpersKey, { ...this.#fhirHelpers, header: parseLibraryHeader(this.#fhirHelpers.text) });
    }
    this.#serve(byKey);

    const wanted = targets === undefined ? undefined : new Set(targets);
    const libraries: TranslatedLibrary[] = [];
    for (const source of indexed) {
      if (wanted !== undefined && !wanted.has(source.path)) continue;
      const library = this.#translateOne(source);
      libraries.push(library);
      diagnostics.push(...library.diagnostics);
    }
    return { libraries, diagnostics: dedupeDiagnostics(diagnostics.sort(compareDiagnostics)) };
  }

  /** Points the library source provider at these sources, forgetting compiled libraries whose text changed. */
  #serve(byKey: Map<string, IndexedSource>): void {
    const byId = new Map<string, IndexedSource>();
    // Asked by name only (an `include` without a version), answer with the highest version.
    const sorted = [...byKey.values()].sort((a, b) =>
      (a.header?.version ?? '').localeCompare(b.header?.version ?? '', 'en', { numeric: true }),
    );
    for (const source of sorted) if (source.header !== undefined) byId.set(source.header.id, source);

    const changed = new Set<string>();
    for (const [key, previous] of this.#compiledTexts) {
      if (byKey.get(key)?.text !== previous.text) changed.add(key);
    }
    if (changed.size > 0) this.#forget(changed);

    this.#byKey = byKey;
    this.#byId = byId;
    for (const [key, source] of byKey) this.#compiledTexts.set(key, source);
  }

  /**
   * Drops stale libraries, and every library that includes one, from the LibraryManager's cache of compiled
   * includes, which would otherwise keep serving the old text for the life of this translator.
   */
  #forget(changed: Set<string>): void {
    const stale = new Set(changed);
    const staleIds = () => new Set([...stale].map((key) => key.slice(0, key.lastIndexOf('|'))));
    let grew = true;
    while (grew) {
      grew = false;
      const ids = staleIds();
      for (const [key, source] of this.#compiledTexts) {
        // By name: an include without a version may have resolved to any version of the library.
        if (!stale.has(key) && source.header?.includes.some((inc) => ids.has(inc.id)) === true) {
          stale.add(key);
          grew = true;
        }
      }
    }
    const compiled = this.#libraryManager.compiledLibraries.asJsMapView();
    for (const identifier of [...compiled.keys()]) {
      if (stale.has(libraryKey({ id: identifier.id ?? '', version: identifier.version ?? null }))) {
        compiled.delete(identifier);
      }
    }
    for (const key of stale) this.#compiledTexts.delete(key);
  }

  #translateOne(source: IndexedSource): TranslatedLibrary {
    const pathOf = (id: string | null, version: string | null): string => {
      if (id === null || id === source.header?.id) return source.path;
      return (
        (version === null ? this.#byId.get(id) : this.#byKey.get(libraryKey({ id, version })))?.path ??
        source.path
      );
    };
    const fallbackIdentifier: LibraryRef = {
      id: source.header?.id ?? '',
      version: source.header?.version ?? null,
    };
    let translator: CqlTranslator;
    let elm: ElmJson;
    try {
      translator = CqlTranslator.fromText(source.text, this.#libraryManager);
      elm = JSON.parse(translator.toJson()) as ElmJson;
    } catch (error) {
      // The translator reports bad CQL in its error list; a throw is a translator bug. Keep it located.
      return {
        path: source.path,
        identifier: fallbackIdentifier,
        elm: { library: {} },
        diagnostics: [
          {
            path: source.path,
            line: 1,
            column: 1,
            severity: 'error',
            message: `The CQL translator failed: ${error instanceof Error ? error.message : String(error)}`,
          },
        ],
      };
    }
    const diagnostics = diagnosticsFromElm(elm, pathOf);
    // Every error should come with an annotation; if one did not, report it rather than pass silently.
    if (!diagnostics.some((d) => d.severity === 'error')) {
      for (const error of translator.errors.asJsReadonlyArrayView()) {
        diagnostics.push({
          path: source.path,
          line: 1,
          column: 1,
          severity: 'error',
          message: error.message,
        });
      }
    }
    const id = elm.library.identifier?.id;
    return {
      path: source.path,
      identifier:
        id === undefined ? fallbackIdentifier : { id, version: elm.library.identifier?.version ?? null },
      elm,
      diagnostics,
    };
  }
}

/** The UCUM service the translator validates quantity literals' units with, backed by @lhncbc/ucum-lhc. */
function ucumService(): unknown {
  const ucum = ucumUtils();
  const unsupported = (): never => {
    throw new Error('UCUM multiplication and division are not supported at translation time');
  };
  return createUcumService(
    (value, from, to) => {
      const result = ucum.convertUnitTo(from, Number(value), to);
      if (result.status !== 'succeeded' || result.toVal === null) {
        throw new Error(result.msg.join(' ') || `Cannot convert ${from} to ${to}`);
      }
      return String(result.toVal);
    },
    (unit) => {
      const result = ucum.validateUnitString(unit);
      return result.status === 'valid' ? null : result.msg.join(' ') || `'${unit}' is not a valid UCUM unit`;
    },
    unsupported,
    unsupported,
  );
}
