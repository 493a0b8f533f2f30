import path from 'node:path';
import cql from 'cql-execution';
import { describe, expect, it } from 'vitest';
import { CqlEvaluator, type ExpressionResults } from '../../src/engine/cql-evaluator.js';
import { getFhirModel } from '../../src/engine/fhir-model.js';
import { toCqlParameters } from '../../src/engine/parameter-values.js';
import { loadTestCases } from '../../src/knowledge/artefact-test-case.js';
import { testCaseEvaluationInput } from '../../src/knowledge/artefact-test-runner.js';
import { loadKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { builtLibraryOf } from '../../src/population/artefact-library.js';
import { ROOT } from '../support/test-service.js';

/**
 * loopcds runs cql-execution's code synchronously (src/engine/synchronous-cql.ts). Every expression of
 * every artefact, on every one of its test cases, must have the same value as the installed,
 * asynchronous cql-execution gives it, errors included.
 */
const knowledge = await loadKnowledgeBase({
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
});

async function outcome(run: () => Promise<ExpressionResults>): Promise<unknown> {
  try {
    return { results: await run() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

for (const artefact of knowledge.artefacts.values()) {
  const { main, includes } = builtLibraryOf(artefact);
  const installed = new CqlEvaluator(main, includes, knowledge.valueSets, getFhirModel(), cql);
  const cases = await loadTestCases(path.join(ROOT, 'knowledge', artefact.definition.id));
  describe(`${artefact.release.id}@${artefact.release.version}`, () => {
    it(`every expression on all ${cases.length} test cases has the value the installed cql-execution gives`, async () => {
      let compared = 0;
      for (const { testCase } of cases) {
        const input = testCaseEvaluationInput(testCase, knowledge);
        const bundle = artefact.dataFilter.apply(input.bundle, testCase.now);
        const parameters = toCqlParameters({ ...artefact.definition.parameters, ...testCase.parameters });
        const synchronous = await outcome(() =>
          artefact.evaluator.evaluate(bundle, testCase.now, parameters),
        );
        const asynchronous = await outcome(() => installed.evaluate(bundle, testCase.now, parameters));
        expect(synchronous, testCase.name).toEqual(asynchronous);
        compared += Object.keys((asynchronous as { results?: object }).results ?? {}).length;
      }
      expect(compared).toBeGreaterThan(cases.length);
    });
  });
}
