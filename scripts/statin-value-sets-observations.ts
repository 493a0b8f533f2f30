/** Observation value sets of the statin artefacts: measurements, smoking, ethnicity. */
import {
  ETHNICITY,
  ETHNICITY_SOURCES,
  FHIR_VITALS,
  GMSDE,
  SMOKING_VSAC,
  SPEC_LOINC,
  VSAC,
  type StatinValueSetSource,
} from './statin-code-sources.js';

export const OBSERVATION_VALUE_SETS: StatinValueSetSource[] = [
  {
    id: 'statin-total-cholesterol',
    title: 'Total cholesterol',
    description: 'Serum or plasma total cholesterol.',
    purpose: 'QRISK3 cholesterol/HDL ratio, Pooled Cohort Equations TC (clinical-spec §3.2, §3.4).',
    sources: [SPEC_LOINC('2093-3'), GMSDE('tests/cholesterol/2/cholesterol.snomed.txt', 'every row')],
  },
  {
    id: 'statin-hdl-cholesterol',
    title: 'HDL cholesterol',
    description: 'Serum or plasma HDL cholesterol.',
    purpose:
      'QRISK3 cholesterol/HDL ratio, Pooled Cohort Equations HDL, USPSTF risk factor (clinical-spec §3.2-§3.4).',
    sources: [SPEC_LOINC('2085-9'), GMSDE('tests/hdl-cholesterol/1/hdl-cholesterol.snomed.txt', 'every row')],
  },
  {
    id: 'statin-ldl-cholesterol',
    title: 'LDL cholesterol',
    description: 'Serum or plasma LDL cholesterol.',
    purpose: 'USPSTF risk factor (LDL > 130 mg/dL) and exclusion (LDL > 190 mg/dL) (clinical-spec §3.3).',
    sources: [
      SPEC_LOINC('18262-6, 2089-1'),
      GMSDE('tests/ldl-cholesterol/1/ldl-cholesterol.snomed.txt', 'every row'),
    ],
  },
  {
    id: 'statin-cholesterol-hdl-ratio',
    title: 'Total cholesterol / HDL ratio',
    description: 'A recorded total cholesterol to HDL cholesterol ratio.',
    purpose: 'QRISK3 input rati, when recorded (clinical-spec §3.2).',
    sources: [
      {
        label:
          'LOINC 9830-1 Cholesterol.total/Cholesterol in HDL [Mass Ratio] in Serum or Plasma (name confirmed in LOINC tables found with the search tool)',
        url: 'https://loinc.org/9830-1',
        selection: '9830-1',
      },
    ],
    limitations:
      'No UK SNOMED CT ratio code could be verified: UK records are read through total and HDL cholesterol taken on the same day.',
  },
  {
    id: 'statin-bmi',
    title: 'Body mass index',
    description: 'Body mass index.',
    purpose: 'QRISK3 input bmi (clinical-spec §3.2).',
    sources: [
      FHIR_VITALS,
      GMSDE(
        'patient/bmi/2/bmi.snomed.txt',
        '60621009 and 846931000000101 (the observables; the finding 301331008 carries no value)',
      ),
    ],
  },
  {
    id: 'statin-body-height',
    title: 'Body height',
    description: 'Body height.',
    purpose: 'BMI from height and weight for QRISK3 (clinical-spec §3.2).',
    sources: [FHIR_VITALS, GMSDE('patient/height/1/height.snomed.txt', '50373000, 1153637007 and 248333004')],
  },
  {
    id: 'statin-body-weight',
    title: 'Body weight',
    description: 'Body weight.',
    purpose: 'BMI from height and weight for QRISK3 (clinical-spec §3.2).',
    sources: [FHIR_VITALS, GMSDE('patient/weight/1/weight.snomed.txt', '27113001, 363808001 and 735395000')],
  },
  {
    id: 'statin-systolic-blood-pressure',
    title: 'Systolic blood pressure',
    description: 'Systolic blood pressure readings (office, sitting, standing, lying, baseline).',
    purpose: 'QRISK3 inputs sbp and sbps5; Pooled Cohort Equations SBP (clinical-spec §3.2, §3.4).',
    sources: [
      FHIR_VITALS,
      GMSDE(
        'tests/systolic-blood-pressure/1/systolic-blood-pressure.snomed.txt',
        '72313002, 271649006, 163030003, 251070002, 400974009, 407554009, 407556006, 716579001 (single readings; ambulatory and home averages left out)',
      ),
    ],
  },
  {
    id: 'statin-blood-pressure-panel',
    title: 'Blood pressure panel',
    description: 'The blood pressure panel whose components carry systolic and diastolic readings.',
    purpose: 'Systolic readings sent as a component of a blood pressure panel (clinical-spec §3.2, §3.4).',
    sources: [FHIR_VITALS],
  },
  {
    id: 'statin-qrisk3-score',
    title: 'QRISK3 score',
    description: 'A recorded QRISK3 10-year cardiovascular risk score.',
    purpose: 'The recorded score used when the QRISK3 inputs are incomplete (issue 3; clinical-spec §3.5).',
    sources: [
      SPEC_LOINC('SNOMED CT 1085871000000105 (clinical-spec §3.5 [V])'),
      GMSDE('tests/qrisk-score/1/qrisk-score.snomed.txt', '1085871000000105'),
    ],
  },
  {
    id: 'statin-pce-risk',
    title: 'Pooled Cohort Equations 10-year risk',
    description: 'A recorded ACC/AHA Pooled Cohort Equations 10-year ASCVD risk.',
    purpose: 'The recorded risk the CDS Connect artefact reads (clinical-spec §3.3).',
    sources: [SPEC_LOINC('79423-0')],
  },
  {
    id: 'statin-smoking-status-observation',
    title: 'Tobacco smoking status (LOINC)',
    description: 'The LOINC observation whose value is a smoking status finding.',
    purpose: 'Smoking status sent as LOINC 72166-2 with a SNOMED CT value (clinical-spec §3.2, §3.3).',
    sources: [SPEC_LOINC('72166-2')],
  },
  {
    id: 'statin-pregnancy-status-observation',
    title: 'Pregnancy status (LOINC)',
    description: 'The LOINC observation whose value says whether the person is pregnant.',
    purpose: 'Pregnancy exclusion (clinical-spec §3.3).',
    sources: [SPEC_LOINC('82810-3')],
  },
  {
    id: 'statin-breastfeeding-status-observation',
    title: 'Breastfeeding status (LOINC)',
    description: 'The LOINC observation whose value says whether the person is breastfeeding.',
    purpose: 'Breastfeeding exclusion (clinical-spec §3.3).',
    sources: [SPEC_LOINC('63895-7')],
  },
  {
    id: 'statin-race-black',
    title: 'Race: Black or African American (US Core)',
    description:
      'The OMB race category Black or African American (CDC Race and Ethnicity code system), as sent in the US Core race extension (ombCategory).',
    purpose:
      'Pooled Cohort Equations: the African-American equations; any other race uses the white equations (clinical-spec §3.4).',
    sources: [
      {
        label:
          'US Core Patient race extension (http://hl7.org/fhir/us/core/StructureDefinition/us-core-race), ombCategory urn:oid:2.16.840.1.113883.6.238|2054-5 "Black or African American" in the US Core Patient example',
        url: 'https://hl7.org/fhir/us/core/StructureDefinition-us-core-race.html',
        selection: '2054-5',
      },
    ],
  },
  {
    id: 'statin-current-smoker-us',
    title: 'Current tobacco user (US)',
    description: 'Current tobacco use findings.',
    purpose: 'USPSTF risk factor: smoking (clinical-spec §3.3) and the Pooled Cohort Equations smoker input.',
    sources: [
      VSAC(
        'Tobacco User',
        '2.16.840.1.113883.3.526.3.1170',
        'v2026/no_qdm_category_assigned.py',
        'SNOMED CT codes',
      ),
    ],
  },
  ...(
    [
      ['never', 'Non-smoker (QRISK3 smoke_cat 0)', 'Never smoked tobacco, non-smoker.'],
      ['ex', 'Ex-smoker (QRISK3 smoke_cat 1)', 'Ex-smokers of any amount.'],
      [
        'light',
        'Light smoker, under 10 a day (QRISK3 smoke_cat 2)',
        'Light, occasional and trivial smokers (fewer than 10 cigarettes a day).',
      ],
      [
        'moderate',
        'Moderate smoker, 10-19 a day (QRISK3 smoke_cat 3)',
        'Moderate cigarette smokers (10-19 a day).',
      ],
      [
        'heavy',
        'Heavy smoker, 20 or more a day (QRISK3 smoke_cat 4)',
        'Heavy, very heavy and chain smokers (20 or more cigarettes a day).',
      ],
      [
        'current',
        'Current smoker, amount not recorded',
        'Current smokers whose amount is not recorded (or recorded only as "20 or less"): QRISK3 needs the amount, so these make the smoking input incomplete unless a cigarette count is recorded [decision].',
      ],
    ] as const
  ).map(([id, title, description]): StatinValueSetSource => ({
    id: `statin-smoking-${id}`,
    title,
    description,
    purpose:
      'QRISK3 input smoke_cat, from a SNOMED CT smoking finding or the value of LOINC 72166-2 (clinical-spec §3.2).',
    sources: [
      SMOKING_VSAC,
      ...(id === 'never'
        ? [
            VSAC(
              'Tobacco Non User',
              '2.16.840.1.113883.3.526.3.1189',
              'v2026/no_qdm_category_assigned.py',
              '266919005 and 221000119102',
            ),
          ]
        : []),
      ...(id === 'ex'
        ? [
            GMSDE(
              'patient/smoking-status-ex/1/smoking-status-ex.snomed.txt',
              'the UK ex-smoker-by-amount findings 1092031000000108, 1092041000000104, 1092071000000105, 1092091000000109, 1092111000000104',
            ),
          ]
        : []),
    ],
  })),
  ...ETHNICITY.map(([id, title, groups]): StatinValueSetSource => ({
    id: `statin-ethnicity-${id}`,
    title: `Ethnicity: ${title} (QRISK3)`,
    description: `Ethnicity records in the QRISK3 category "${title}": ${groups}. Holds SNOMED CT ethnic category findings (2001 and 2011 census) and the NHS Data Dictionary ETHNIC CATEGORY codes of the UK Core ethnic category extension.`,
    purpose:
      'QRISK3 input ethrisk (clinical-spec §3.2). A record in none of these sets, or "not stated", is QRISK3 category 0 (not recorded).',
    sources: ETHNICITY_SOURCES(`the rows mapped to "${title}"`),
  })),
];
