import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Everything besides the CQL text that decides what ELM the translator produces: its version, its options
 * and the FHIR model info. The knowledge compiler hashes these into every cache key, so this module must
 * stay light (it does not load the translator itself).
 */

const require = createRequire(import.meta.url);

/** The translator options (cql-to-elm `CqlCompilerOptions.Options`) loopcds may set. */
export type CompilerOption =
  | 'EnableDateRangeOptimization'
  | 'EnableAnnotations'
  | 'EnableLocators'
  | 'EnableResultTypes'
  | 'EnableDetailedErrors'
  | 'DisableListTraversal'
  | 'DisableListDemotion'
  | 'DisableListPromotion'
  | 'EnableIntervalDemotion'
  | 'EnableIntervalPromotion'
  | 'DisableMethodInvocation'
  | 'RequireFromKeyword';

export interface TranslatorOptions {
  readonly compilerOptions: readonly CompilerOption[];
  /** Which function calls carry their signature in the ELM. */
  readonly signatureLevel: 'None' | 'Differing' | 'Overloads' | 'All';
  /** Checks quantity literals' units against UCUM at build time. */
  readonly validateUnits: boolean;
}

/**
 * The translator's own defaults, spelled out so that a change of default in a new translator release is
 * visible here. Annotations keep the CQL text of each expression in the ELM (for showing a card's evidence);
 * locators make cql-execution's errors name the CQL line they come from.
 */
export const DEFAULT_TRANSLATOR_OPTIONS: TranslatorOptions = Object.freeze({
  compilerOptions: Object.freeze([
    'EnableAnnotations',
    'EnableLocators',
    'DisableListDemotion',
    'DisableListPromotion',
  ] as const),
  signatureLevel: 'Overloads',
  validateUnits: true,
});

/** The version of @cqframework/cql in use (its package.json is not in its `exports`, so find it by path). */
export function translatorVersion(): string {
  const entry = require.resolve('@cqframework/cql/cql-to-elm');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string')
    throw new Error('@cqframework/cql has no version in its package.json');
  return manifest.version;
}

/** Absolute path of the FHIR 4.0.1 model info that cql-exec-fhir ships and the translator reads. */
export function fhirModelInfoFile(): string {
  return require.resolve('cql-exec-fhir/lib/modelInfos/fhir-modelinfo-4.0.1.xml');
}

/**
 * A string that changes whenever the translator's output for the same CQL could change: the translator
 * version, the options, and the sha256 of the model info.
 */
export function translatorFingerprint(options: TranslatorOptions = DEFAULT_TRANSLATOR_OPTIONS): string {
  const modelInfo = createHash('sha256').update(readFileSync(fhirModelInfoFile())).digest('hex');
  return JSON.stringify({ translator: translatorVersion(), options, modelInfo });
}
