/**
 * The sources the statin-* and cvd-* value sets cite (scripts/statin-value-set-sources.ts), as helpers:
 * each names a public codelist or standard, its URL (pinned to a commit where there is one) and the rule
 * by which rows were taken.
 */
export interface CodeSource {
  label: string;
  url: string;
  selection: string;
}

export interface StatinValueSetSource {
  id: string;
  title: string;
  /** What the set holds; "minimal verified set" and known gaps are appended by the builder. */
  description: string;
  /** Which artefact rule reads it (clinical-spec section). */
  purpose: string;
  sources: CodeSource[];
  /** Known gaps, stated in the description. */
  limitations?: string;
}

export const NHSD = (refset: string, version: string): CodeSource => ({
  label: `NHS Digital primary care domain reference set ${refset.toUpperCase()}_COD (OpenCodelists nhsd-primary-care-domain-refsets/${refset}_cod/${version})`,
  url: `https://github.com/opensafely/deaths-at-home-covid19/blob/b0cf90c1b75d5ae0f933c02f5b4e464767f02d35/codelists/nhsd-primary-care-domain-refsets-${refset}_cod.csv`,
  selection: `every row (https://www.opencodelists.org/codelist/nhsd-primary-care-domain-refsets/${refset}_cod/${version}/)`,
});

export const GMSDE = (path: string, selection: string): CodeSource => ({
  label: `University of Manchester GM-SDE clinical code set ${path.split('/').slice(0, 2).join('/')}`,
  url: `https://github.com/UoM-Data-Science-Platforms/gm-sde/blob/6cf10afc0d745a557b2e8dd7e0b1d4b61ea40e42/shared/clinical-code-sets/${path}`,
  selection,
});

export const VSAC = (
  name: string,
  oid: string,
  file: string,
  selection = 'SNOMED CT and ICD-10-CM codes',
): CodeSource => ({
  label: `VSAC value set "${name}" (${oid}), eCQM expansion as published in canvas-medical/canvas-plugins`,
  url: `https://github.com/canvas-medical/canvas-plugins/blob/344f0bcb924b2be7ffafb5ac7edf19d475704259/canvas_sdk/value_set/${file}`,
  selection,
});

export const FHIR_VITALS: CodeSource = {
  label: 'FHIR R4 value set observation-vitalsignresult (LOINC)',
  url: 'https://hl7.org/fhir/R4/valueset-observation-vitalsignresult.html',
  selection: 'the LOINC code of this measurement',
};

export const SPEC_LOINC = (codes: string): CodeSource => ({
  label: `clinical-spec §3.5 LOINC codes marked [V] (${codes})`,
  url: 'https://loinc.org/',
  selection: codes,
});

export const ETHNICITY_SOURCES = (selection: string): CodeSource[] => [
  {
    label:
      'PRIMIS ethnicity (2001 census) codelist with its 16-group mapping (OpenCodelists primis-covid19-vacc-uptake/eth2001/v1)',
    url: 'https://github.com/opensafely/post-covid-vaccinated/blob/145aa57cd9b098fc325fff1c5d6a64078eaf07ac/codelists/primis-covid19-vacc-uptake-eth2001.csv',
    selection,
  },
  {
    label: 'SNOMED CT England and Wales 2011 census ethnic category findings (nw-gmsa ValueSet Ethnicity)',
    url: 'https://github.com/nw-gmsa/nw-gmsa.github.com/blob/0b4f6cc8a6b5e055d347d7ff0bdde30a4fd76741/input/fsh/ValueSet/Ethnicity.fsh',
    selection,
  },
  {
    label:
      'HL7 UK Core CodeSystems UKCore-EthnicCategoryEngland and UKCore-EthnicCategoryWales (NHS Data Dictionary ETHNIC CATEGORY codes), used in the Extension-UKCore-EthnicCategory',
    url: 'https://simplifier.net/hl7fhirukcorer4/valueset-ukcore-ethniccategory',
    selection,
  },
];

/** QRISK3 ethnicity categories (clinical-spec §3.2) and which census groups map to each. */
export const ETHNICITY: Array<[string, string, string]> = [
  [
    'white',
    'White',
    'White British, White Irish, any other White background (16-group 1-3; UK Core A, B, C)',
  ],
  ['indian', 'Indian', 'Indian or British Indian (16-group 8; UK Core H)'],
  ['pakistani', 'Pakistani', 'Pakistani or British Pakistani (16-group 9; UK Core J)'],
  ['bangladeshi', 'Bangladeshi', 'Bangladeshi or British Bangladeshi (16-group 10; UK Core K)'],
  ['other-asian', 'Other Asian', 'any other Asian background (16-group 11; UK Core L)'],
  ['black-caribbean', 'Black Caribbean', 'Caribbean (16-group 12; UK Core M)'],
  ['black-african', 'Black African', 'African (16-group 13; UK Core N)'],
  ['chinese', 'Chinese', 'Chinese (16-group 15; UK Core R)'],
  [
    'other',
    'Other ethnic group',
    'the mixed groups, any other Black background and any other ethnic group (16-group 4-7, 14, 16; UK Core D, E, F, G, P, S, T): QRISK3 has no mixed or other-Black category, so they are "Other" [decision]',
  ],
];

export const SMOKING_VSAC = VSAC(
  'Smoking status',
  '2.16.840.1.113762.1.4.1248.220',
  'v2026/no_qdm_category_assigned.py',
  'the codes of this QRISK3 smoking category',
);
