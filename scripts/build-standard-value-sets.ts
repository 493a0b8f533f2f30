/**
 * Builds the value sets that come from standard code systems (SNOMED CT, LOINC) rather than from a
 * codelist CSV: the vital signs of NEWS2 and the sepsis criteria. Every code is listed once here with
 * the source it was verified against, and the source is written into the value set's description.
 *
 *   tsx scripts/build-standard-value-sets.ts           writes knowledge/valuesets/<id>.json
 *   tsx scripts/build-standard-value-sets.ts --check   exits 1 if a committed file differs
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

type SourceKey = keyof typeof SRC;
type CodeRow = [system: string, code: string, display: string, sources: SourceKey[]];
interface SetDefinition {
  id: string;
  title: string;
  purpose: string;
  codes: CodeRow[];
}

const OUT = path.resolve(import.meta.dirname, '..', 'knowledge', 'valuesets');
const check = process.argv.includes('--check');
const SCT = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const SRC = {
  news2:
    'NHS Digital / INTEROPen FHIR NEWS2 guidance, https://github.com/nhsconnect/FHIR-NEWS2 (pages/explore/news2_*_guidance.md)',
  vitals:
    'FHIR R4 vital signs profile, value set observation-vitalsignresult, https://hl7.org/fhir/R4/observation-vitalsigns.html',
  spec: 'loopcds clinical-spec §2.5 (verified against S18/S19)',
  pulseox:
    'US Core Pulse Oximetry profile (components 3150-0 and 3151-8), https://hl7.org/fhir/us/core/StructureDefinition-us-core-pulse-oximetry.html',
  acvpu:
    'HL7 UK CareConnect-ACVPU-1 value set, https://fhir.hl7.org.uk/STU3/ValueSet/CareConnect-ACVPU-1 (as reproduced in the HL7 UK CareConnect FSH and generated sources)',
  inspired:
    'HL7 UK CareConnect-InspiredOxygen-1 value set, https://fhir.hl7.org.uk/STU3/ValueSet/CareConnect-InspiredOxygen-1',
  nhsUsage:
    'NHS Digital SNOMED CT code usage in primary care (163030003 "On examination - Systolic blood pressure reading (finding)")',
  gcs: 'FHIR R4 example Observation/glasgow (LOINC 9269-2 "Glasgow coma score total"), https://hl7.org/fhir/R4/observation-example-glasgow.html',
  snomedRelease:
    'SNOMED CT International release notes, November 2024 (255409004 |Pregnant woman| inactivated and replaced by 77386006 |Pregnancy (finding)|)',
  ips: 'HL7 IPS Pregnancy status observation (LOINC 82810-3 "Pregnancy status"), https://hl7.org/fhir/uv/ips/StructureDefinition-Observation-pregnancy-status-uv-ips.html',
  ecl: 'SNOMED CT concept model, e.g. 91302008 |Sepsis| defined with 255234002 |After| = 40733004 |Infectious disease| (SNOMED International authoring templates)',
  procCat:
    'FHIR R4 value set procedure-category (387713003 "Surgical procedure"), https://hl7.org/fhir/R4/valueset-procedure-category.html',
  inrLab:
    'Published FHIR examples verified with the search tool: PACIO Sample Data Depot Observation betsysmith-johnson01-obs-inr-coag-panel; SGHI coagulation StructureMap (LOINC 6301-6 "INR in Platelet poor plasma by Coagulation assay"), https://loinc.org/6301-6/',
  inrPoc:
    'A published FHIR example verified with the search tool: HL7 Switzerland CH RAD-Order Observation CaveatBloodCoagulationINR (LOINC 34714-6 "INR in Blood by Coagulation assay"), https://loinc.org/34714-6/',
  skin: 'SNOMED CT findings as used in published FHIR value sets: 406128001 |Mottling of skin|, 3415004 |Cyanosis (finding)|, 95837007 |Central cyanosis|, 95442007 |Peripheral cyanosis| (tx.fhir.org expansion, SNOMED CT International 2024-10-01)',
};

const sets: SetDefinition[] = [
  {
    id: 'vital-respiratory-rate',
    title: 'Respiratory rate',
    purpose: 'NEWS2 respiration rate (RCP 2017); qSOFA (Sepsis-3); NICE sepsis criteria.',
    codes: [
      [LOINC, '9279-1', 'Respiratory rate', ['vitals', 'news2']],
      [SCT, '86290005', 'Respiratory rate', ['news2', 'spec']],
    ],
  },
  {
    id: 'vital-oxygen-saturation',
    title: 'Oxygen saturation (SpO2)',
    purpose: 'NEWS2 SpO2 (Scale 1 or Scale 2).',
    codes: [
      [LOINC, '2708-6', 'Oxygen saturation in Arterial blood', ['vitals', 'spec']],
      [LOINC, '59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry', ['news2', 'pulseox']],
      [SCT, '103228002', 'Hemoglobin saturation with oxygen', ['news2', 'spec']],
      [SCT, '431314004', 'Peripheral oxygen saturation', ['spec']],
    ],
  },
  {
    id: 'vital-spo2-target',
    title: 'Target oxygen saturation range',
    purpose:
      'NEWS2 SpO2 Scale 2 is used only when a target range of 88-92% is recorded (RCP 2017; clinical-spec §2.1): an Observation with this code and a valueRange of 88-92 %.',
    codes: [[SCT, '852641000000103', 'Target peripheral oxygen saturation', ['news2']]],
  },
  {
    id: 'vital-air-or-oxygen',
    title: 'Air or supplemental oxygen',
    purpose:
      'NEWS2 "air or oxygen?" parameter: code-only observations (breathing room air / on oxygen) and inspired-oxygen measurements (FiO2 over 21% or a flow over 0 means oxygen).',
    codes: [
      [SCT, '722742002', 'Breathing room air', ['inspired', 'spec']],
      [SCT, '371825009', 'Patient on oxygen', ['inspired', 'spec']],
      [SCT, '315041000', 'High concentration oxygen therapy', ['spec']],
      [LOINC, '3150-0', 'Inhaled oxygen concentration', ['pulseox']],
      [LOINC, '3151-8', 'Inhaled oxygen flow rate', ['pulseox']],
    ],
  },
  {
    id: 'vital-blood-pressure',
    title: 'Blood pressure panel',
    purpose:
      'Blood pressure observations whose systolic value is a component (coded in vital-systolic-blood-pressure).',
    codes: [
      [LOINC, '85354-9', 'Blood pressure panel with all children optional', ['vitals', 'news2']],
      [SCT, '75367002', 'Blood pressure', ['news2', 'spec']],
    ],
  },
  {
    id: 'vital-systolic-blood-pressure',
    title: 'Systolic blood pressure',
    purpose:
      'NEWS2 systolic blood pressure; qSOFA; NICE sepsis criteria. A standalone observation or a component of a blood pressure panel.',
    codes: [
      [LOINC, '8480-6', 'Systolic blood pressure', ['vitals', 'news2']],
      [SCT, '72313002', 'Systolic arterial pressure', ['news2', 'spec']],
      [SCT, '271649006', 'Systolic blood pressure', ['news2', 'spec']],
      [SCT, '163030003', 'On examination - Systolic blood pressure reading', ['nhsUsage', 'spec']],
    ],
  },
  {
    id: 'vital-heart-rate',
    title: 'Heart rate or pulse rate',
    purpose:
      'NEWS2 pulse; NICE sepsis criteria. The INTEROPen guidance sends heart rate, or pulse rate as a more refined code.',
    codes: [
      [LOINC, '8867-4', 'Heart rate', ['vitals', 'news2']],
      [SCT, '364075005', 'Heart rate', ['news2', 'spec']],
      [SCT, '78564009', 'Pulse rate', ['news2', 'spec']],
    ],
  },
  {
    id: 'vital-consciousness',
    title: 'Level of consciousness (ACVPU)',
    purpose:
      'NEWS2 consciousness: the ACVPU observable, valued with a code from CareConnect-ACVPU-1 (see vital-acvpu-response).',
    codes: [
      [
        SCT,
        '1104441000000107',
        'ACVPU (Alert Confusion Voice Pain Unresponsive) scale score',
        ['news2', 'spec'],
      ],
    ],
  },
  {
    id: 'vital-acvpu-response',
    title: 'ACVPU responses',
    purpose:
      'The values of an ACVPU observation: Alert scores 0 in NEWS2; new Confusion, Voice, Pain or Unresponsive score 3 (RCP 2017 Chart 1).',
    codes: [
      [SCT, '248234008', 'Mentally alert', ['acvpu', 'spec']],
      [SCT, '130987000', 'Acute confusion', ['acvpu']],
      [SCT, '300202002', 'Responds to voice', ['acvpu']],
      [SCT, '450847001', 'Responds to pain', ['acvpu']],
      [SCT, '422768004', 'Unresponsive', ['acvpu']],
    ],
  },
  {
    id: 'vital-body-temperature',
    title: 'Body temperature',
    purpose: 'NEWS2 temperature; NICE sepsis criteria.',
    codes: [
      [LOINC, '8310-5', 'Body temperature', ['vitals', 'news2']],
      [SCT, '276885007', 'Core body temperature', ['news2', 'spec']],
      [SCT, '386725007', 'Body temperature', ['news2', 'spec']],
    ],
  },
  {
    id: 'vital-glasgow-coma-score',
    title: 'Glasgow coma score total',
    purpose: 'qSOFA altered mentation (GCS below 15; Sepsis-3); NICE sepsis altered mental state.',
    codes: [[LOINC, '9269-2', 'Glasgow coma score total', ['gcs']]],
  },
  {
    id: 'sepsis-pregnancy',
    title: 'Pregnancy',
    purpose:
      'The NICE NEWS2 sepsis pathway is for people who are not pregnant or recently pregnant (NICE NG51/NG253; NG255 covers pregnancy): a Pregnancy condition, or a Pregnancy status observation valued Pregnant.',
    codes: [
      [SCT, '77386006', 'Pregnancy', ['snomedRelease']],
      [LOINC, '82810-3', 'Pregnancy status', ['ips']],
    ],
  },
  {
    id: 'sepsis-suspected-infection',
    title: 'Suspected or confirmed infection (minimal)',
    purpose:
      'Used only when a service sets the parameter "Require Suspected Infection": a recent condition coded with one of these. Sites extend it with their own suspected-infection codes.',
    codes: [
      [SCT, '40733004', 'Infectious disease', ['ecl']],
      [SCT, '91302008', 'Sepsis', ['ecl', 'spec']],
      [SCT, '76571007', 'Septic shock', ['spec']],
    ],
  },
  {
    id: 'sepsis-skin-high-risk',
    title: 'Mottled skin or cyanosis',
    purpose:
      'NICE sepsis high-risk criterion (community table): mottled or ashen appearance, cyanosis of skin, lips or tongue. No code for "ashen" or "non-blanching rash" was verified, so those are reported as not assessed.',
    codes: [
      [SCT, '406128001', 'Mottling of skin', ['skin']],
      [SCT, '3415004', 'Cyanosis', ['skin']],
      [SCT, '95837007', 'Central cyanosis', ['skin']],
      [SCT, '95442007', 'Peripheral cyanosis', ['skin']],
    ],
  },
  {
    id: 'sepsis-surgical-procedure',
    title: 'Surgical procedure (Procedure.category)',
    purpose:
      'NICE sepsis moderate-to-high-risk criterion "trauma, surgery or invasive procedure in the last 6 weeks": a Procedure whose category is surgical.',
    codes: [[SCT, '387713003', 'Surgical procedure', ['procCat']]],
  },
  {
    id: 'lab-inr',
    title: 'INR (international normalised ratio) result',
    purpose:
      'PINCER trial measure 6 (warfarin without an INR in 12 weeks): the INR results the artefact recognises, the same two LOINC codes its CQL declares, so that its data filter keeps only INR Observations. A record coding INR only in SNOMED CT is not recognised (no cited SNOMED CT INR codelist).',
    codes: [
      [LOINC, '6301-6', 'INR in Platelet poor plasma by Coagulation assay', ['inrLab']],
      [LOINC, '34714-6', 'INR in Blood by Coagulation assay', ['inrPoc']],
    ],
  },
];

const SYS_NAME: Record<string, string> = { [SCT]: 'SNOMED CT', [LOINC]: 'LOINC' };
const differing: string[] = [];
for (const s of sets) {
  const sources = [...new Set(s.codes.flatMap((c) => c[3]))];
  const lines = s.codes.map(
    ([sys, code, display, src]) =>
      `${SYS_NAME[sys]} ${code} "${display}" [${src.map((k) => sources.indexOf(k) + 1).join(', ')}]`,
  );
  const description = `${s.title}. Codes, each with its source: ${lines.join('; ')}. Sources: ${sources.map((k, i) => `[${i + 1}] ${SRC[k]}`).join('; ')}.`;
  const include: Array<{ system: string; concept: Array<{ code: string; display: string }> }> = [];
  for (const sys of [SCT, LOINC]) {
    const concept = s.codes.filter((c) => c[0] === sys).map(([, code, display]) => ({ code, display }));
    if (concept.length > 0) include.push({ system: sys, concept });
  }
  const contains = include.flatMap((inc) =>
    inc.concept.map(({ code, display }) => ({ system: inc.system, code, display })),
  );
  const hash = createHash('sha256').update(JSON.stringify(contains)).digest('hex');
  const uuid = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
  const hasSct = s.codes.some((c) => c[0] === SCT);
  const hasLoinc = s.codes.some((c) => c[0] === LOINC);
  const copyright = [
    hasSct
      ? 'Includes SNOMED CT (UK Edition where noted), owned by SNOMED International; its use needs a SNOMED CT licence (free in member countries such as the UK).'
      : null,
    hasLoinc
      ? 'Includes LOINC content, copyright Regenstrief Institute, Inc. and the LOINC Committee, available at no cost under the licence at https://loinc.org/license.'
      : null,
  ]
    .filter(Boolean)
    .join(' ');
  const vs = {
    resourceType: 'ValueSet',
    id: s.id,
    url: `https://loopcds.org/fhir/ValueSet/${s.id}`,
    version: '1.0.0',
    name: s.id
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(''),
    title: s.title,
    status: 'active',
    experimental: false,
    date: '2026-11-24',
    publisher: 'loopcds',
    description,
    purpose: s.purpose,
    copyright,
    compose: { include },
    expansion: {
      identifier: `urn:uuid:${uuid}`,
      timestamp: '2026-11-24T00:00:00Z',
      total: contains.length,
      contains,
    },
  };
  const file = path.join(OUT, `${s.id}.json`);
  const text = JSON.stringify(vs, null, 2) + '\n';
  if (!check) writeFileSync(file, text);
  else {
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      // missing
    }
    if (committed !== text) differing.push(path.basename(file));
  }
}
if (check && differing.length > 0) {
  process.stderr.write(`differs from a rebuild: ${differing.join(', ')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(
    `${check ? 'checked' : 'wrote'} ${sets.length} value sets from standard code systems\n`,
  );
}
