import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTestCases } from '../../src/knowledge/artefact-test-case.js';
import { runTestCase } from '../../src/knowledge/artefact-test-runner.js';
import { draftOrderResources } from '../../src/context/draft-orders.js';
import { toCqlParameters } from '../../src/engine/parameter-values.js';
import { patientBundle, type FhirResource } from '../../src/engine/patient-bundle.js';
import { loadKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { ROOT } from '../support/test-service.js';

/**
 * Every artefact's own test cases (knowledge/<id>/tests/*.json), one test each. A case names the
 * threshold or window edge it sits on; the runner takes the same path as a hook call.
 */
const knowledge = await loadKnowledgeBase({
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
});

const artefacts = [...knowledge.artefacts.values()];

it('finds test cases for every artefact', async () => {
  for (const artefact of artefacts) {
    const cases = await loadTestCases(path.join(ROOT, 'knowledge', artefact.definition.id));
    expect(cases.length, `${artefact.definition.id} has no tests/*.json`).toBeGreaterThan(0);
  }
});

for (const artefact of artefacts) {
  const cases = await loadTestCases(path.join(ROOT, 'knowledge', artefact.definition.id));
  describe(`${artefact.release.id}@${artefact.release.version}`, () => {
    for (const { file, testCase } of cases) {
      it(testCase.name, async () => {
        const outcome = await runTestCase(artefact, knowledge, testCase);
        expect(outcome.failures, path.relative(ROOT, file)).toEqual([]);
      });

      // The data filter (artefact.json dataRequirements) must only drop what cannot matter.
      it(`${testCase.name}: same results without the data-requirements filter`, async () => {
        const resources = [
          testCase.patient as FhirResource,
          ...(testCase.resources as FhirResource[]),
          ...draftOrderResources({ entry: testCase.draftOrders.map((resource) => ({ resource })) }),
        ];
        const bundle = patientBundle(resources);
        const parameters = toCqlParameters({ ...artefact.definition.parameters, ...testCase.parameters });
        const filtered = await artefact.evaluator.evaluate(
          artefact.dataFilter.apply(bundle, testCase.now),
          testCase.now,
          parameters,
        );
        const unfiltered = await artefact.evaluator.evaluate(bundle, testCase.now, parameters);
        expect(filtered[artefact.definition.result.fired]).toEqual(
          unfiltered[artefact.definition.result.fired],
        );
      });
    }
  });
}
