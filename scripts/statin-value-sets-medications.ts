/** Medication value sets of the statin artefacts (dm+d and RxNorm). */
import { GMSDE, VSAC, type StatinValueSetSource } from './statin-code-sources.js';

export const MEDICATION_VALUE_SETS: StatinValueSetSource[] = [
  {
    id: 'statin-statins-dmd',
    title: 'Statins (dm+d)',
    description: 'Statin products (VMPs and AMPs), alone or combined (e.g. simvastatin with ezetimibe).',
    purpose: 'Exclusion: already on a statin (clinical-spec §3.1 rule 1).',
    sources: [
      GMSDE(
        'medications/statins/1/statins.snomed.txt',
        'rows whose term names a statin or a statin brand (built from the NHS "statins prescribable within general practice" drug refset); creams left out',
      ),
    ],
    limitations: 'Other lipid-lowering drugs (ezetimibe alone, fibrates, PCSK9 inhibitors) are not included.',
  },
  {
    id: 'statin-atorvastatin-tablets',
    title: 'Atorvastatin tablets to suggest',
    description:
      'The two dm+d VMPs a card may suggest: Atorvastatin 20mg tablets and Atorvastatin 80mg tablets.',
    purpose:
      'The code of the suggested MedicationRequest, taken from this set by display term (clinical-spec §3.1 rules 2-7).',
    sources: [
      GMSDE(
        'medications/statins/1/statins.snomed.txt',
        '320030001 and 134489001, the VMPs named "Atorvastatin 20mg tablets" and "Atorvastatin 80mg tablets"',
      ),
    ],
  },
  {
    id: 'statin-statins-rxnorm',
    title: 'Statins (RxNorm)',
    description: 'Low-, moderate- and high-intensity statin therapy (RxNorm).',
    purpose: 'USPSTF/CDS Connect exclusion: on a statin (clinical-spec §3.3).',
    sources: [
      VSAC(
        'High Intensity Statin Therapy',
        '2.16.840.1.113883.3.526.3.1572',
        'v2022/medication.py',
        'RxNorm codes',
      ),
      VSAC(
        'Moderate Intensity Statin Therapy',
        '2.16.840.1.113883.3.526.3.1575',
        'v2022/medication.py',
        'RxNorm codes',
      ),
      VSAC(
        'Low Intensity Statin Therapy',
        '2.16.840.1.113883.3.526.3.1574',
        'v2022/medication.py',
        'RxNorm codes',
      ),
    ],
  },
  {
    id: 'statin-antihypertensives-dmd',
    title: 'Calcium-channel blockers and beta-blockers (dm+d)',
    description:
      'Calcium-channel blockers and beta-blockers (oral products, VMPs and AMPs). ACE inhibitors, ARBs and diuretics are read from the PINCER value sets pincer-acei and pincer-diur.',
    purpose:
      'QRISK3 input b_treatedhyp: a hypertension diagnosis and an antihypertensive issue in the last 6 months (clinical-spec §3.2).',
    sources: [
      GMSDE(
        'medications/calcium-channel-blockers/1/calcium-channel-blockers.snomed.txt',
        'every row but eye, topical, rectal and parenteral forms, trimetazidine (an anti-anginal) and nimodipine (used after subarachnoid haemorrhage)',
      ),
      GMSDE(
        'medications/beta-blockers/1/beta-blockers.snomed.txt',
        'every row but eye drops and gels, topical and parenteral forms',
      ),
    ],
    limitations: 'Alpha-blockers, centrally acting drugs and other antihypertensives are not included.',
  },
  {
    id: 'statin-first-degree-relative',
    title: 'First-degree relative',
    description: 'Family relationships counted as first-degree: father, mother, sibling (HL7 v3 RoleCode).',
    purpose:
      'QRISK3 input fh_cvd: coronary heart disease in a first-degree relative before 60, from FamilyMemberHistory (clinical-spec §3.2).',
    sources: [
      {
        label:
          'HL7 Terminology v3-RoleCode FTH, MTH (value sets NIOSHHouseholdMemberRoletypeODH, VRCL role) and SIB (value set v3-Sibling)',
        url: 'https://terminology.hl7.org/CodeSystem-v3-RoleCode.html',
        selection: 'FTH, MTH, SIB',
      },
    ],
    limitations:
      'Brother, sister, son and daughter codes (BRO, SIS, SON, DAU, CHILD) are not included: they were not verified.',
  },
  {
    id: 'statin-antihypertensives-rxnorm',
    title: 'Antihypertensives (RxNorm)',
    description: 'Pharmacologic therapy for hypertension (RxNorm).',
    purpose: '"Treated" blood pressure in the Pooled Cohort Equations (clinical-spec §3.4).',
    sources: [
      VSAC(
        'Pharmacologic Therapy for Hypertension',
        '2.16.840.1.113883.3.526.1577',
        'v2022/medication.py',
        'RxNorm codes',
      ),
    ],
  },
  {
    id: 'statin-atypical-antipsychotics',
    title: 'Atypical (second-generation) antipsychotics',
    description: 'Second-generation antipsychotics, long-acting injections excluded (dm+d VMPs and AMPs).',
    purpose: 'QRISK3 input b_atypicalantipsy: two or more issues in the last 6 months (clinical-spec §3.2).',
    sources: [
      {
        label:
          'OpenSAFELY codelist opensafely/second-generation-antipsychotics-excluding-long-acting-injections/6c7c3c11',
        url: 'https://github.com/opensafely/post-covid-vaccinated/blob/145aa57cd9b098fc325fff1c5d6a64078eaf07ac/codelists/opensafely-second-generation-antipsychotics-excluding-long-acting-injections.csv',
        selection: 'every row (dmd_id, dmd_name)',
      },
    ],
  },
  {
    id: 'statin-oral-corticosteroids',
    title: 'Oral corticosteroids (glucocorticoids)',
    description:
      'Oral glucocorticoid products named by their generic name (prednisolone, dexamethasone, hydrocortisone, methylprednisolone, betamethasone, deflazacort, cortisone, prednisone).',
    purpose: 'QRISK3 input b_corticosteroids: two or more issues in the last 6 months (clinical-spec §3.2).',
    sources: [
      GMSDE(
        'medications/corticosteroid/1/corticosteroid.snomed.txt',
        'rows whose term starts with one of those generic names and a strength and names an oral form (tablets, oral solution or suspension, capsules, granules); topical, inhaled, eye, ear, nasal, rectal and buccal forms left out, and fludrocortisone (a mineralocorticoid)',
      ),
    ],
    limitations: 'Products prescribed by brand name only, and parenteral corticosteroids, are not included.',
  },
];
