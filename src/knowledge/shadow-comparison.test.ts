import { describe, expect, it } from 'vitest';
import { compareRecordedCalls, type RecordedCall } from './shadow-comparison.js';

function call(
  id: string,
  active: string,
  shadow: string,
  cards: [string[], string[]] = [[], []],
): RecordedCall {
  const evaluation = (release: string, role: 'active' | 'shadow', result: string, summaries: string[]) => ({
    release,
    role,
    result: result as 'fired' | 'not-fired',
    cards: summaries.map((summary) => ({ indicator: 'warning', summary })),
  });
  return {
    hookInstance: id,
    at: '2026-06-15T10:00:00.000+01:00',
    patient: `patient-${id}`,
    evaluations: [
      evaluation('a@1.0.0', 'active', active, cards[0]),
      evaluation('a@1.1.0', 'shadow', shadow, cards[1]),
    ],
  };
}

describe('compareRecordedCalls', () => {
  it('lists every recorded call on which the active and the shadow release disagreed, with counts', () => {
    const calls = [
      call('1', 'fired', 'fired', [['NSAID'], ['NSAID']]),
      call('2', 'fired', 'not-fired', [['NSAID'], []]),
      call('3', 'not-fired', 'not-fired'),
      call('4', 'fired', 'fired', [['NSAID'], ['NSAID (v1.1)']]),
      { hookInstance: '5', at: '', patient: 'x', evaluations: [] },
    ];
    const comparison = compareRecordedCalls(calls, 'a@1.0.0', 'a@1.1.0');
    expect(comparison.compared).toBe(4);
    expect(comparison.transitions).toEqual({
      'fired → fired': 2,
      'fired → not-fired': 1,
      'not-fired → not-fired': 1,
    });
    expect(comparison.differing.map((d) => [d.hookInstance, d.a.result, d.b.result])).toEqual([
      ['2', 'fired', 'not-fired'],
      ['4', 'fired', 'fired'],
    ]);
    expect(comparison.differing[1]?.b.cards).toEqual(['warning: NSAID (v1.1)']);
  });
});
