import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTestCases } from '../../src/knowledge/artefact-test-case.js';
import type { FhirResource } from '../../src/engine/patient-bundle.js';
import { PatientRecord } from '../../src/population/patient-record.js';
import { PopulationEvaluator } from '../../src/population/population-evaluator.js';
import { loadPopulationKnowledge } from '../../src/population/population-knowledge.js';
import { ROOT } from '../support/test-service.js';

/**
 * The population evaluator takes shortcuts (triggers, operands evaluation, shared denominators);
 * on every artefact's own test cases at patient-view (no draft orders, default parameters) it must give
 * the hooks' result, and the full evaluation's denominator.
 */
const { knowledge } = await loadPopulationKnowledge({
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
});

const pincer = [...knowledge.artefacts.values()].filter((a) => a.definition.id.startsWith('pincer-'));

describe('population evaluator on the artefacts’ own test cases', () => {
  for (const artefact of pincer) {
    const key = `${artefact.release.id}@${artefact.release.version}`;
    it(`${key}: the shortcuts agree with the hooks' evaluation on every patient-view case`, async () => {
      const cases = (await loadTestCases(path.join(ROOT, 'knowledge', artefact.definition.id))).filter(
        ({ testCase }) => testCase.draftOrders.length === 0 && Object.keys(testCase.parameters).length === 0,
      );
      expect(cases.length).toBeGreaterThan(0);
      for (const { testCase } of cases) {
        // Twice each, so that the second patient meets the first's shared denominator.
        const evaluator = new PopulationEvaluator({
          knowledge,
          releases: [key],
          now: testCase.now,
          verify: true,
        });
        for (const id of ['first', 'second']) {
          const patient = { ...(testCase.patient as FhirResource), id };
          const outcomes = await evaluator.evaluatePatient(
            PatientRecord.of([patient, ...(testCase.resources as FhirResource[])]),
          );
          expect(outcomes).toHaveLength(1);
          expect(outcomes[0]!.result, testCase.name).not.toBe('error');
        }
      }
    });
  }
});

describe('population evaluator on generated primary-care records', () => {
  it('gives the hooks’ result and the full denominator for patients sharing ages, drugs and tests', async () => {
    const { loadValueSets } = await import('../../src/engine/value-set.js');
    const { SynthCodes } = await import('../../src/population/synth/synth-codes.js');
    const { SeededRandom } = await import('../../src/population/synth/seeded-random.js');
    const { generatePatient } = await import('../../src/population/synth/synth-patient.js');
    const { patientResources } = await import('../../src/population/synth/synth-fhir.js');
    const codes = new SynthCodes(await loadValueSets(path.join(ROOT, 'knowledge', 'valuesets')));
    const practice = { id: 'P1', name: 'P1', hazardFactor: 2 };
    const releases = pincer.map((a) => `${a.release.id}@${a.release.version}`);
    const evaluator = new PopulationEvaluator({
      knowledge,
      releases,
      now: '2026-10-01T12:00:00.000+01:00',
      verify: true,
    });
    let patients = 0;
    for (let n = 0; patients < 24; n++) {
      const facts = generatePatient(new SeededRandom(`verify:${n}`), codes, `v${n}`, practice, '2026-10-01', {
        historyYears: 1,
        recentYears: 2,
        rare: 10,
      });
      if (facts.issues.length === 0 && n % 4 !== 0) continue; // mostly patients on some medicine
      patients++;
      const outcomes = await evaluator.evaluatePatient(
        PatientRecord.of(Object.values(patientResources(facts)).flat()),
      );
      expect(outcomes.filter((o) => o.result === 'error')).toEqual([]);
    }
    expect(evaluator.paths.shared + evaluator.paths['operands']).toBeGreaterThan(0);
  }, 120_000);
});
