import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { patientBundle, type FhirResource } from '../../src/engine/patient-bundle.js';
import { loadKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { evaluateRelease } from '../../src/knowledge/release-evaluator.js';
import { ROOT } from '../support/test-service.js';

/**
 * Every band edge of every NEWS2 parameter, table-driven against the compiled library through the same
 * path as a hook call (release-evaluator), and against a second, independent reading of the RCP 2017
 * chart (clinical-spec §2.1): each band is "up to and including" its upper edge, so values between the
 * printed bands (20.5/min, 35.05 °C) score as the band above, as the half-open intervals require.
 * The per-artefact JSON cases (knowledge/sepsis-news2/tests) cover cards, totals and missing data.
 */
const knowledge = await loadKnowledgeBase({
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
});
const artefact = knowledge.artefacts.get('sepsis-news2@1.0.0');
if (artefact === undefined) throw new Error('sepsis-news2@1.0.0 is not loaded');

const NOW = '2026-06-15T10:00:00.000+01:00';
const TAKEN = '2026-06-15T09:30:00+01:00';

/** RCP 2017 Chart 1 as [highest value of the band, score]; the last band is open above. */
type Bands = ReadonlyArray<readonly [number, number]>;
const CHART: Record<string, Bands> = {
  respiration: [
    [8, 3],
    [11, 1],
    [20, 0],
    [24, 2],
    [Infinity, 3],
  ],
  spo2Scale1: [
    [91, 3],
    [93, 2],
    [95, 1],
    [Infinity, 0],
  ],
  spo2Scale2Air: [
    [83, 3],
    [85, 2],
    [87, 1],
    [Infinity, 0],
  ],
  spo2Scale2Oxygen: [
    [83, 3],
    [85, 2],
    [87, 1],
    [92, 0],
    [94, 1],
    [96, 2],
    [Infinity, 3],
  ],
  systolic: [
    [90, 3],
    [100, 2],
    [110, 1],
    [219, 0],
    [Infinity, 3],
  ],
  pulse: [
    [40, 3],
    [50, 1],
    [90, 0],
    [110, 1],
    [130, 2],
    [Infinity, 3],
  ],
  temperature: [
    [35.0, 3],
    [36.0, 1],
    [38.0, 0],
    [39.0, 1],
    [Infinity, 2],
  ],
};

function chartScore(bands: Bands, value: number): number {
  const band = bands.find(([top]) => value <= top);
  if (band === undefined) throw new Error('the last band is open above');
  return band[1];
}

/** Each edge, just below it, and the next values above it (steps of 0.5, or 0.05 for temperature). */
function valuesAround(bands: Bands, step: number): number[] {
  const edges = bands.map(([top]) => top).filter((top) => Number.isFinite(top));
  const round = (x: number) => Math.round(x * 100) / 100;
  return [...new Set(edges.flatMap((e) => [e - step, e, e + step, e + 2 * step].map(round)))];
}

function observation(id: string, system: string, code: string, value: Record<string, unknown>) {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system, code }] },
    effectiveDateTime: TAKEN,
    ...value,
  };
}
const quantity = (value: number, unit: string) => ({
  valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
});

interface Vitals {
  rr: number;
  spo2: number;
  oxygen: boolean;
  sbp: number;
  pulse: number;
  temperature: number;
  scale2: boolean;
}
const NORMAL: Vitals = {
  rr: 16,
  spo2: 97,
  oxygen: false,
  sbp: 120,
  pulse: 70,
  temperature: 37,
  scale2: false,
};

function resources(v: Vitals): FhirResource[] {
  const list: FhirResource[] = [
    { resourceType: 'Patient', id: 'p1', birthDate: '1950-01-01' },
    observation('rr', 'http://loinc.org', '9279-1', quantity(v.rr, '/min')),
    observation('spo2', 'http://loinc.org', '59408-5', quantity(v.spo2, '%')),
    observation('o2', 'http://snomed.info/sct', v.oxygen ? '371825009' : '722742002', {}),
    observation('sbp', 'http://loinc.org', '8480-6', quantity(v.sbp, 'mm[Hg]')),
    observation('hr', 'http://loinc.org', '8867-4', quantity(v.pulse, '/min')),
    observation('acvpu', 'http://snomed.info/sct', '1104441000000107', {
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '248234008' }] },
    }),
    observation('temp', 'http://loinc.org', '8310-5', quantity(v.temperature, 'Cel')),
  ];
  if (v.scale2) {
    list.push(
      observation('target', 'http://snomed.info/sct', '852641000000103', {
        valueRange: { low: { value: 88, unit: '%' }, high: { value: 92, unit: '%' } },
      }),
    );
  }
  return list;
}

async function evaluate(v: Vitals) {
  const out = await evaluateRelease(artefact!, {
    bundle: patientBundle(resources(v)),
    now: NOW,
    hook: 'patient-view',
    context: { patientId: 'p1' },
    valueSets: knowledge.valueSets,
    overrideReasons: knowledge.overrideReasons,
    topicSystem: 'https://loopcds.org/fhir/CodeSystem/artefact',
  });
  if (out.error !== undefined) throw new Error(JSON.stringify(out.error));
  return out.results;
}

const TABLES: Array<{
  name: string;
  expression: string;
  bands: Bands;
  step: number;
  vitals: (value: number) => Vitals;
}> = [
  {
    name: 'respiration rate',
    expression: 'Respiration Rate Score',
    bands: CHART.respiration!,
    step: 0.5,
    vitals: (rr) => ({ ...NORMAL, rr }),
  },
  {
    name: 'SpO2 Scale 1',
    expression: 'SpO2 Score',
    bands: CHART.spo2Scale1!,
    step: 0.5,
    vitals: (spo2) => ({ ...NORMAL, spo2 }),
  },
  {
    name: 'SpO2 Scale 2 on air',
    expression: 'SpO2 Score',
    bands: CHART.spo2Scale2Air!,
    step: 0.5,
    vitals: (spo2) => ({ ...NORMAL, spo2, scale2: true }),
  },
  {
    name: 'SpO2 Scale 2 on oxygen',
    expression: 'SpO2 Score',
    bands: CHART.spo2Scale2Oxygen!,
    step: 0.5,
    vitals: (spo2) => ({ ...NORMAL, spo2, scale2: true, oxygen: true }),
  },
  {
    name: 'systolic blood pressure',
    expression: 'Systolic Blood Pressure Score',
    bands: CHART.systolic!,
    step: 0.5,
    vitals: (sbp) => ({ ...NORMAL, sbp }),
  },
  {
    name: 'pulse',
    expression: 'Pulse Score',
    bands: CHART.pulse!,
    step: 0.5,
    vitals: (pulse) => ({ ...NORMAL, pulse }),
  },
  {
    name: 'temperature',
    expression: 'Temperature Score',
    bands: CHART.temperature!,
    step: 0.05,
    vitals: (temperature) => ({ ...NORMAL, temperature }),
  },
];

describe('NEWS2 band edges (RCP 2017 Chart 1)', () => {
  for (const table of TABLES) {
    it(`scores ${table.name} at, just below and just above every band edge as the chart does`, async () => {
      for (const value of valuesAround(table.bands, table.step)) {
        const results = await evaluate(table.vitals(value));
        expect(results[table.expression], `${table.name} ${value}`).toBe(chartScore(table.bands, value));
      }
    });
  }

  it('adds 2 for oxygen to the total and never scores a reading twice', async () => {
    const results = await evaluate({ ...NORMAL, oxygen: true });
    expect(results['Air Or Oxygen Score']).toBe(2);
    expect(results['NEWS2 Total']).toBe(2);
  });
});

describe('the Score parameter', () => {
  it('fails the rule with its location when Score is neither NEWS2 nor qSOFA', async () => {
    const out = await evaluateRelease(artefact, {
      bundle: patientBundle(resources(NORMAL)),
      now: NOW,
      hook: 'patient-view',
      context: { patientId: 'p1' },
      parameters: { Score: 'SIRS' },
      valueSets: knowledge.valueSets,
      overrideReasons: knowledge.overrideReasons,
      topicSystem: 'https://loopcds.org/fhir/CodeSystem/artefact',
    });
    expect(out.result).toBe('error');
    expect(out.cards).toEqual([]);
    expect(out.error?.issue[0]?.diagnostics).toContain('sepsis-news2@1.0.0: evaluation failed');
  });
});
