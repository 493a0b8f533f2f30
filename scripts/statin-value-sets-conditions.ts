/** Condition value sets of the statin artefacts (clinical-spec §3.1-§3.3). */
import { GMSDE, NHSD, VSAC, type StatinValueSetSource } from './statin-code-sources.js';

export const CONDITION_VALUE_SETS: StatinValueSetSource[] = [
  {
    id: 'cvd-established-uk',
    title: 'Established cardiovascular disease (UK: CHD, stroke/TIA, PAD)',
    description:
      'Coronary heart disease (including angina and myocardial infarction), stroke, TIA and peripheral arterial disease: the NHS Digital QOF register reference sets CHD_COD, STRK_COD and PAD_COD, and TIA codes.',
    purpose:
      'NICE NG238 rule 2: established CVD means secondary prevention, atorvastatin 80 mg (clinical-spec §3.1).',
    sources: [
      NHSD('chd', '20210127'),
      NHSD('strk', '20210127'),
      NHSD('pad', '20210127'),
      GMSDE(
        'conditions/tia/1/tia.snomed.txt',
        'rows whose term names a transient ischaemic attack or transient cerebral ischaemia (STRK_COD holds strokes only)',
      ),
    ],
    limitations: 'Revascularisation procedures without a CHD diagnosis code are not included.',
  },
  {
    id: 'statin-ckd-3-to-5',
    title: 'Chronic kidney disease stages 3 to 5',
    description: 'CKD stages 3-5 (the QOF CKD register reference set CKD_COD).',
    purpose:
      'NICE NG238 rule 3 (CKD: atorvastatin 20 mg without QRISK) and the QRISK3 input b_renal (clinical-spec §3.1, §3.2).',
    sources: [NHSD('ckd', '20200812')],
    limitations: 'CKD is taken from diagnosis codes only: eGFR results and albuminuria are not read.',
  },
  {
    id: 'statin-atrial-fibrillation',
    title: 'Atrial fibrillation',
    description: 'Atrial fibrillation and flutter (the QOF AF register reference set AFIB_COD).',
    purpose: 'QRISK3 input b_AF (clinical-spec §3.2).',
    sources: [NHSD('afib', '20200812')],
  },
  {
    id: 'statin-rheumatoid-arthritis',
    title: 'Rheumatoid arthritis',
    description: 'Rheumatoid arthritis (the QOF RA register reference set RARTH_COD).',
    purpose: 'QRISK3 input b_ra (clinical-spec §3.2).',
    sources: [NHSD('rarth', '20210127')],
  },
  {
    id: 'statin-severe-mental-illness',
    title: 'Severe mental illness (schizophrenia, bipolar disorder, other psychoses)',
    description:
      'Schizophrenia, bipolar affective disorder and other psychoses (the QOF mental health register reference set MH_COD).',
    purpose: 'QRISK3 input b_semi (clinical-spec §3.2); NG238 notes QRISK3 may underestimate risk in SMI.',
    sources: [NHSD('mh', '20210127')],
  },
  {
    id: 'statin-hypertension-uk',
    title: 'Hypertension (UK)',
    description: 'Hypertension (the QOF hypertension register reference set HYP_COD).',
    purpose:
      'QRISK3 input b_treatedhyp: a hypertension diagnosis and an antihypertensive issue in the last 6 months (clinical-spec §3.2).',
    sources: [NHSD('hyp', '20210127')],
  },
  {
    id: 'statin-palliative-care',
    title: 'Palliative or end-of-life care',
    description: 'Palliative care (the QOF palliative care register reference set PALCARE_COD).',
    purpose:
      'NICE NG238 rule 1 exclusion: no new statin prompt in palliative or end-of-life care (clinical-spec §3.1).',
    sources: [NHSD('palcare', '20200812')],
  },
  {
    id: 'statin-type-1-diabetes',
    title: 'Type 1 diabetes',
    description: 'Type 1 diabetes mellitus and its coded complications.',
    purpose:
      'NICE NG238 rule 4 (type 1 diabetes: atorvastatin 20 mg without QRISK) and the QRISK3 input b_type1.',
    sources: [
      GMSDE(
        'conditions/diabetes-type-i/1/diabetes-type-i.snomed.txt',
        'every row but 1255271005 (a neurodegeneration syndrome, not type 1 diabetes as such)',
      ),
    ],
  },
  {
    id: 'statin-type-2-diabetes',
    title: 'Type 2 diabetes',
    description: 'Type 2 diabetes mellitus and its coded complications.',
    purpose: 'QRISK3 input b_type2 (clinical-spec §3.2, §3.1 rule 7).',
    sources: [
      GMSDE(
        'conditions/diabetes-type-ii/1/diabetes-type-ii.snomed.txt',
        'every row but 237604008 and 390716007 (autosomal dominant, i.e. maturity-onset diabetes of the young, not type 2 diabetes)',
      ),
    ],
  },
  {
    id: 'statin-sle',
    title: 'Systemic lupus erythematosus',
    description: 'Systemic lupus erythematosus and its coded organ involvement.',
    purpose: 'QRISK3 input b_sle (clinical-spec §3.2).',
    sources: [
      GMSDE(
        'conditions/sle/1/sle.snomed.txt',
        'rows whose term names systemic (or disseminated) lupus erythematosus; cutaneous and unspecified lupus left out',
      ),
    ],
  },
  {
    id: 'statin-migraine',
    title: 'Migraine',
    description: 'Migraine: the SNOMED CT concept 37796009 only.',
    purpose: 'QRISK3 input b_migraine (clinical-spec §3.2).',
    sources: [
      {
        label:
          'SNOMED CT 37796009 |Migraine (disorder)|, display confirmed in several independent public FHIR resources found with the search tool',
        url: 'https://browser.ihtsdotools.org/?perspective=full&conceptId1=37796009',
        selection: '37796009',
      },
    ],
    limitations:
      'Subtypes of migraine (with or without aura, etc.) are not included: no authoritative migraine codelist was found.',
  },
  {
    id: 'statin-erectile-dysfunction',
    title: 'Erectile dysfunction',
    description: 'Erectile dysfunction, including erectile dysfunction due to diabetes.',
    purpose: 'QRISK3 input b_impotence2 (men only; clinical-spec §3.2).',
    sources: [
      VSAC(
        'Diabetes',
        '2.16.840.1.113883.3.464.1003.103.12.1001',
        'v2022/condition.py',
        '428007007 and 691000119103 (their displays in the VSAC expansion)',
      ),
      {
        label:
          'SNOMED CT 860914002 |Erectile dysfunction (disorder)|, display confirmed in several independent public code tables found with the search tool',
        url: 'https://browser.ihtsdotools.org/?perspective=full&conceptId1=860914002',
        selection: '860914002',
      },
    ],
    limitations:
      'Treatment of erectile dysfunction (PDE5 inhibitors), which QRISK3 also counts, is not read.',
  },
  {
    id: 'statin-familial-hypercholesterolaemia',
    title: 'Familial hypercholesterolaemia',
    description: 'Familial hypercholesterolaemia.',
    purpose:
      'NICE NG238 rule 5 (follow the FH guideline, no QRISK) and USPSTF/CDS Connect exclusion (clinical-spec §3.1, §3.3); QRISK3 family history is a different input.',
    sources: [
      VSAC(
        'Familial Hypercholesterolemia',
        '2.16.840.1.113762.1.4.1047.100',
        'v2022/condition.py',
        'the SNOMED CT and ICD-10-CM codes whose term starts "Familial" (the set also holds plain, primary, polygenic and secondary hypercholesterolaemia, which are not inherited lipid disorders and would wrongly skip QRISK3)',
      ),
    ],
  },
  {
    id: 'statin-pregnancy',
    title: 'Pregnancy',
    description: 'Pregnancy findings and diagnoses.',
    purpose: 'Exclusion: statins are contraindicated in pregnancy (clinical-spec §3.1 rule 1, §3.3).',
    sources: [VSAC('Pregnancy', '2.16.840.1.113883.3.526.3.378', 'v2022/condition.py')],
    limitations: '"Planning pregnancy" is not coded here.',
  },
  {
    id: 'statin-breastfeeding',
    title: 'Breastfeeding',
    description: 'Breastfeeding findings and diagnoses.',
    purpose: 'Exclusion: breastfeeding (clinical-spec §3.1 rule 1, §3.3).',
    sources: [VSAC('Breastfeeding', '2.16.840.1.113762.1.4.1047.73', 'v2022/condition.py')],
  },
  {
    id: 'statin-liver-disease',
    title: 'Chronic liver disease (including cirrhosis)',
    description: 'Chronic liver disease, including cirrhosis.',
    purpose:
      'Exclusion: active liver disease (NICE, clinical-spec §3.1 rule 1) and cirrhosis (CDS Connect, §3.3). Raised transaminases alone do not exclude.',
    sources: [
      VSAC('Chronic Liver Disease', '2.16.840.1.113883.3.464.1003.199.12.1035', 'v2022/condition.py'),
    ],
  },
  {
    id: 'statin-intolerance',
    title: 'Statin intolerance or allergy',
    description: 'Statin allergy and statin-associated muscle symptoms.',
    purpose: 'Exclusion: documented statin intolerance (clinical-spec §3.1 rule 1).',
    sources: [
      VSAC(
        'Statin Associated Muscle Symptoms',
        '2.16.840.1.113762.1.4.1108.85',
        'v2022/condition.py',
        'the codes whose term names a statin (unspecified myopathy, myositis and myalgia left out)',
      ),
      GMSDE(
        'conditions/allergy-statin/1/allergy-statin.snomed.txt',
        '294971007, 294972000 and 294973005 (simvastatin, fluvastatin and pravastatin allergy; the set also holds pentostatin and nystatin allergy, which are left out)',
      ),
    ],
    limitations: '"Statin declined" codes are not included: none could be verified.',
  },
  {
    id: 'statin-esrd',
    title: 'End-stage renal disease',
    description: 'End-stage renal disease.',
    purpose: 'USPSTF/CDS Connect exclusion (clinical-spec §3.3).',
    sources: [VSAC('End Stage Renal Disease', '2.16.840.1.113883.3.526.3.353', 'v2022/condition.py')],
  },
  {
    id: 'statin-rhabdomyolysis',
    title: 'Rhabdomyolysis',
    description: 'Rhabdomyolysis.',
    purpose: 'USPSTF/CDS Connect exclusion (clinical-spec §3.3).',
    sources: [VSAC('Rhabdomyolysis', '2.16.840.1.113762.1.4.1047.102', 'v2022/condition.py')],
  },
  {
    id: 'cvd-established-us',
    title: 'Established atherosclerotic cardiovascular disease (US)',
    description:
      'Myocardial infarction, ischaemic heart disease, cerebrovascular disease (stroke, TIA) and atherosclerosis/peripheral arterial disease.',
    purpose: 'USPSTF/CDS Connect exclusion: known CVD (clinical-spec §3.3).',
    sources: [
      VSAC('Myocardial Infarction', '2.16.840.1.113883.3.526.3.403', 'v2022/condition.py'),
      VSAC(
        'Ischemic Heart Disease or Other Related Diagnoses',
        '2.16.840.1.113762.1.4.1047.46',
        'v2022/condition.py',
      ),
      VSAC('Cerebrovascular Disease, Stroke, TIA', '2.16.840.1.113762.1.4.1047.44', 'v2022/condition.py'),
      VSAC(
        'Atherosclerosis and Peripheral Arterial Disease',
        '2.16.840.1.113762.1.4.1047.21',
        'v2022/condition.py',
      ),
    ],
    limitations: 'CABG, PCI and carotid procedures without a diagnosis code are not read.',
  },
  {
    id: 'statin-diabetes-us',
    title: 'Diabetes (US)',
    description: 'Diabetes mellitus.',
    purpose: 'USPSTF risk factor and Pooled Cohort Equations input (clinical-spec §3.3, §3.4).',
    sources: [VSAC('Diabetes', '2.16.840.1.113883.3.464.1003.103.12.1001', 'v2022/condition.py')],
  },
  {
    id: 'statin-hypertension-us',
    title: 'Hypertension (US)',
    description: 'Essential hypertension and the diagnosis of hypertension.',
    purpose:
      'USPSTF risk factor; "treated" blood pressure in the Pooled Cohort Equations (clinical-spec §3.3, §3.4).',
    sources: [
      VSAC('Essential Hypertension', '2.16.840.1.113883.3.464.1003.104.12.1011', 'v2022/condition.py'),
      VSAC('Diagnosis of Hypertension', '2.16.840.1.113883.3.600.263', 'v2022/condition.py'),
    ],
  },
];
