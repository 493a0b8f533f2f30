/**
 * Metadata of the statin-* and cvd-* value sets (issue 3, statin artefacts): what each is for and where
 * its codes were verified. The codes themselves are in scripts/statin-codelists/<id>.csv, extracted from
 * the sources named here (selection rules in `selection`); scripts/build-statin-value-sets.ts turns both
 * into FHIR ValueSets. Every set is a minimal verified set, not a complete codelist.
 */

/** Where a set's codes were checked: a label, a URL (pinned to a commit where there is one), the rule used. */
import { CONDITION_VALUE_SETS } from './statin-value-sets-conditions.js';
import { MEDICATION_VALUE_SETS } from './statin-value-sets-medications.js';
import { OBSERVATION_VALUE_SETS } from './statin-value-sets-observations.js';

export type { CodeSource, StatinValueSetSource } from './statin-code-sources.js';

/** Every statin-* and cvd-* value set, in the order the builder writes them. */
export const STATIN_VALUE_SETS = [
  ...CONDITION_VALUE_SETS,
  ...MEDICATION_VALUE_SETS,
  ...OBSERVATION_VALUE_SETS,
];
