import cql from 'cql-execution';
import cqlfhir from 'cql-exec-fhir';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundledFhirHelpers } from './cql-source.js';
import { ElmTranslator, formatDiagnostic, type ElmJson } from './cql-translator.js';

/**
 * Smoke test of our FHIRHelpers at run time: the same logic written CDS Connect-style (implicit
 * conversions through the model info's conversionInfo) and with explicit FHIRHelpers calls gives the same,
 * expected results with cql-execution + cql-exec-fhir on a small bundle.
 */

const header = (name: string) => [
  `library ${name} version '1.0.0'`,
  "using FHIR version '4.0.1'",
  "include FHIRHelpers version '4.0.1' called FHIRHelpers",
  'valueset "NSAIDs": \'http://example.org/fhir/ValueSet/nsaids\'',
  'context Patient',
];
const YEAR_2025 = 'Interval[@2025-01-01T00:00:00.0Z, @2026-01-01T00:00:00.0Z)';

const IMPLICIT = [
  ...header('ImplicitStyle'),
  `define "Active NSAID Orders":
  [MedicationRequest] M
    where M.status = 'active'
      and exists (((M.medication as CodeableConcept).coding) C where C in "NSAIDs")`,
  `define "NSAID Orders By Concept": [MedicationRequest] M where M.medication as CodeableConcept in "NSAIDs"`,
  `define "High Potassium":
  [Observation] O
    where O.status in { 'final', 'amended', 'corrected' }
      and O.value as Quantity > 5.5 'mmol/L'`,
  `define "Observed In 2025": [Observation] O where O.effective as dateTime during ${YEAR_2025}`,
  `define "Encounters In 2025": [Encounter] E where E.period overlaps ${YEAR_2025}`,
  `define "Repeats Allowed": [MedicationRequest] M where M.dispenseRequest.numberOfRepeatsAllowed > 2`,
  `define "Named Observation": [Observation] O where O.id = 'obs-k-high'`,
  `define "Is Female": Patient.gender = 'female'`,
  `define "Is Active": Patient.active = true`,
  `define "Born Before 1960": Patient.birthDate before @1960-01-01`,
].join('\n');

const EXPLICIT = [
  ...header('ExplicitStyle'),
  `define "Active NSAID Orders":
  [MedicationRequest] M
    where FHIRHelpers.ToString(M.status) = 'active'
      and exists (((M.medication as FHIR.CodeableConcept).coding) C where FHIRHelpers.ToCode(C) in "NSAIDs")`,
  `define "NSAID Orders By Concept":
  [MedicationRequest] M where FHIRHelpers.ToConcept(M.medication as FHIR.CodeableConcept) in "NSAIDs"`,
  `define "High Potassium":
  [Observation] O
    where FHIRHelpers.ToString(O.status) in { 'final', 'amended', 'corrected' }
      and FHIRHelpers.ToQuantity(O.value as FHIR.Quantity) > 5.5 'mmol/L'`,
  `define "Observed In 2025": [Observation] O where FHIRHelpers.ToDateTime(O.effective as FHIR.dateTime) during ${YEAR_2025}`,
  `define "Encounters In 2025": [Encounter] E where FHIRHelpers.ToInterval(E.period) overlaps ${YEAR_2025}`,
  `define "Repeats Allowed": [MedicationRequest] M where FHIRHelpers.ToInteger(M.dispenseRequest.numberOfRepeatsAllowed) > 2`,
  `define "Named Observation": [Observation] O where FHIRHelpers.ToString(O.id) = 'obs-k-high'`,
  `define "Is Female": FHIRHelpers.ToString(Patient.gender) = 'female'`,
  `define "Is Active": FHIRHelpers.ToBoolean(Patient.active) = true`,
  `define "Born Before 1960": FHIRHelpers.ToDate(Patient.birthDate) before @1960-01-01`,
  // The comparator rules of the standard 4.0.1 library.
  `define "Less Than Quantity": [Observation] O where O.id = 'obs-k-lt'`,
  `define "Comparator To Quantity": First("Less Than Quantity" O return FHIRHelpers.ToQuantity(O.value as FHIR.Quantity))`,
  `define "Comparator Ignored": First("Less Than Quantity" O return FHIRHelpers.ToQuantityIgnoringComparator(O.value as FHIR.Quantity))`,
  `define "Comparator As Interval": First("Less Than Quantity" O return FHIRHelpers.ToInterval(O.value as FHIR.Quantity))`,
  `define "Calendar Unit": FHIRHelpers.ToCalendarUnit('wk')`,
].join('\n');

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const potassium = { coding: [{ system: 'http://loinc.org', code: '2823-3' }] };
const medication = (code: string) => ({ medicationCodeableConcept: { coding: [{ system: RXNORM, code }] } });
const quantity = (value: number, extra: Record<string, string> = {}) => ({
  value,
  unit: 'mmol/L',
  system: UCUM,
  code: 'mmol/L',
  ...extra,
});

const BUNDLE = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1950-03-01', active: true },
    {
      resourceType: 'MedicationRequest',
      id: 'mr-nsaid-active',
      status: 'active',
      intent: 'order',
      ...medication('197806'),
      dispenseRequest: { numberOfRepeatsAllowed: 3 },
    },
    {
      resourceType: 'MedicationRequest',
      id: 'mr-nsaid-stopped',
      status: 'stopped',
      intent: 'order',
      ...medication('197806'),
      dispenseRequest: { numberOfRepeatsAllowed: 1 },
    },
    {
      resourceType: 'MedicationRequest',
      id: 'mr-other-active',
      status: 'active',
      intent: 'order',
      ...medication('314076'),
    },
    {
      resourceType: 'Observation',
      id: 'obs-k-high',
      status: 'final',
      code: potassium,
      valueQuantity: quantity(6.1),
      effectiveDateTime: '2025-05-20T10:00:00Z',
    },
    {
      resourceType: 'Observation',
      id: 'obs-k-normal',
      status: 'final',
      code: potassium,
      valueQuantity: quantity(4.2),
      effectiveDateTime: '2024-12-01T09:00:00Z',
    },
    {
      resourceType: 'Observation',
      id: 'obs-k-prelim',
      status: 'preliminary',
      code: potassium,
      valueQuantity: quantity(7),
      effectiveDateTime: '2025-05-21T09:00:00Z',
    },
    {
      resourceType: 'Observation',
      id: 'obs-k-lt',
      status: 'final',
      code: potassium,
      valueQuantity: quantity(8, { comparator: '<' }),
      effectiveDateTime: '2025-05-22T09:00:00Z',
    },
    {
      resourceType: 'Encounter',
      id: 'enc-2025',
      status: 'finished',
      class: { code: 'AMB' },
      period: { start: '2025-03-01T09:00:00Z', end: '2025-03-05T09:00:00Z' },
    },
    {
      resourceType: 'Encounter',
      id: 'enc-2023',
      status: 'finished',
      class: { code: 'AMB' },
      period: { start: '2023-01-01T09:00:00Z', end: '2023-01-02T09:00:00Z' },
    },
    // No end: ongoing, so it overlaps 2025.
    {
      resourceType: 'Encounter',
      id: 'enc-ongoing',
      status: 'in-progress',
      class: { code: 'IMP' },
      period: { start: '2024-12-30T09:00:00Z' },
    },
  ].map((resource) => ({ resource })),
};

const VALUE_SETS = {
  'http://example.org/fhir/ValueSet/nsaids': {
    '': [
      { system: RXNORM, code: '197806' },
      { system: RXNORM, code: '198013' },
    ],
  },
};

type PatientResults = Record<string, unknown>;
let helpers: ElmJson;
let implicitElm: ElmJson;
let implicitResults: PatientResults;
let explicitResults: PatientResults;
const messages: Array<{ code: unknown; severity: unknown; message: unknown }> = [];

async function run(elm: ElmJson): Promise<PatientResults> {
  const library = new cql.Library(elm, new cql.Repository({ FHIRHelpers: helpers }));
  const listener = {
    onMessage: (_source: unknown, code: unknown, severity: unknown, message: unknown) =>
      messages.push({ code, severity, message }),
  };
  const executor = new cql.Executor(library, new cql.CodeService(VALUE_SETS), {}, listener);
  const source = cqlfhir.PatientSource.FHIRv401();
  source.loadBundles([BUNDLE]);
  const results = await executor.exec(source, cql.DateTime.parse('2025-06-01T12:00:00.000Z') ?? undefined);
  return results.patientResults['p1'] as PatientResults;
}

beforeAll(async () => {
  const result = new ElmTranslator().translate([
    { path: 'test/ImplicitStyle.cql', text: IMPLICIT },
    { path: 'test/ExplicitStyle.cql', text: EXPLICIT },
    readBundledFhirHelpers(process.cwd()),
  ]);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  const elmOf = (id: string) => result.libraries.find((l) => l.identifier.id === id)!.elm;
  helpers = elmOf('FHIRHelpers');
  implicitElm = elmOf('ImplicitStyle');
  implicitResults = await run(implicitElm);
  explicitResults = await run(elmOf('ExplicitStyle'));
});

const ids = (value: unknown) =>
  (value as Array<{ getId(): string }>).map((resource) => resource.getId()).sort();

describe('our FHIRHelpers at run time', () => {
  it('is what the implicit conversions of a CDS Connect-style library call', () => {
    const called = new Set<string>();
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const record = node as Record<string, unknown>;
      if (record.type === 'FunctionRef' && record.libraryName === 'FHIRHelpers')
        called.add(String(record.name));
      Object.values(record).forEach(walk);
    };
    walk(implicitElm);
    expect([...called].sort()).toEqual([
      'ToBoolean',
      'ToCode',
      'ToConcept',
      'ToDate',
      'ToDateTime',
      'ToInteger',
      'ToInterval',
      'ToQuantity',
      'ToString',
    ]);
  });

  it.each([
    ['Active NSAID Orders', ['mr-nsaid-active']],
    ['NSAID Orders By Concept', ['mr-nsaid-active', 'mr-nsaid-stopped']],
    ['High Potassium', ['obs-k-high']],
    ['Observed In 2025', ['obs-k-high', 'obs-k-lt', 'obs-k-prelim']],
    ['Encounters In 2025', ['enc-2025', 'enc-ongoing']],
    ['Repeats Allowed', ['mr-nsaid-active']],
    ['Named Observation', ['obs-k-high']],
  ])('gives the same %s with implicit and explicit conversions', (name, expected) => {
    expect(ids(implicitResults[name])).toEqual(expected);
    expect(ids(explicitResults[name])).toEqual(expected);
  });

  it.each([['Is Female'], ['Is Active'], ['Born Before 1960']])(
    'gives the same %s with implicit and explicit conversions',
    (name) => {
      expect(implicitResults[name]).toBe(true);
      expect(explicitResults[name]).toBe(true);
    },
  );

  it('does not convert a quantity with a comparator to a System.Quantity, as the standard library does', () => {
    expect(explicitResults['Comparator To Quantity']).toBeNull();
    expect(messages).toContainEqual(
      expect.objectContaining({
        code: 'FHIRHelpers.ToQuantity.ComparatorQuantityNotSupported',
        severity: 'Error',
      }),
    );
    expect(explicitResults['Comparator Ignored']).toEqual(new cql.Quantity(8, 'mmol/L'));
    const interval = explicitResults['Comparator As Interval'] as InstanceType<typeof cql.Interval>;
    expect(interval.low).toBeNull();
    expect(interval.high).toEqual(new cql.Quantity(8, 'mmol/L'));
    expect(interval.highClosed).toBe(false);
  });

  it('maps UCUM time units to CQL calendar units', () => {
    expect(explicitResults['Calendar Unit']).toBe('week');
  });
});
