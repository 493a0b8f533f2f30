import path from 'node:path';
import { expect, it } from 'vitest';
import { loadTestCases } from '../../src/knowledge/artefact-test-case.js';
import { testCaseEvaluationInput } from '../../src/knowledge/artefact-test-runner.js';
import { loadKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { evaluateRelease } from '../../src/knowledge/release-evaluator.js';
import { ROOT } from '../support/test-service.js';

/**
 * Hooks evaluate a rule's decision first (release-evaluator.ts `decisionFirst`): every other expression
 * only when it fires, since only its card shows them. PINCER A's own test cases give one of each.
 */
const knowledge = await loadKnowledgeBase({
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
});
const artefact = [...knowledge.artefacts.values()].find((a) => a.definition.id === 'pincer-a')!;
const cases = (await loadTestCases(path.join(ROOT, 'knowledge', 'pincer-a'))).map((c) => c.testCase);
const { fired, missingData } = artefact.definition.result;

it('evaluates only the decision and the missing data of a rule that does not fire', async () => {
  const quiet = cases.find((c) => c.expect.result === 'not-fired' && c.draftOrders.length > 0)!;
  const input = testCaseEvaluationInput(quiet, knowledge);
  const first = await evaluateRelease(artefact, { ...input, decisionFirst: true });
  const full = await evaluateRelease(artefact, input);
  expect(first.result).toBe('not-fired');
  expect(Object.keys(first.results).sort()).toEqual([fired, ...(missingData ? [missingData] : [])].sort());
  expect(Object.keys(full.results).length).toBeGreaterThan(Object.keys(first.results).length);
});

it('evaluates every expression, in the library order, for a rule that fires, with the same cards', async () => {
  const firing = cases.find((c) => c.expect.result === 'fired')!;
  const input = testCaseEvaluationInput(firing, knowledge);
  const first = await evaluateRelease(artefact, { ...input, decisionFirst: true });
  const full = await evaluateRelease(artefact, input);
  expect(first.result).toBe('fired');
  expect(Object.keys(first.results)).toEqual(Object.keys(full.results));
  expect(first.results).toEqual(full.results);
  const text = (cards: typeof full.cards) => cards.map((c) => [c.summary, c.detail, c.indicator]);
  expect(text(first.cards)).toEqual(text(full.cards));
});
