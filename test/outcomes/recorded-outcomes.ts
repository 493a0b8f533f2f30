import type { FeedbackEntry, HookCallEntry } from '../../src/outcomes/outcome-entry.js';
import type { ReleaseEvaluation } from '../../src/outcomes/outcome-recorder.js';

/**
 * A recorded set of calls and feedback whose figures were worked out by hand (see the expectations in
 * learning-figures.test.ts). Two sites, two ISO weeks (2026-W47: 16–22 Nov; 2026-W48: 23–29 Nov), PINCER A
 * 1.0.0 active with 1.1.0 in shadow, and PINCER B 1.0.0 active at site B.
 *
 * | call | site | week | a@1.0.0 (ms)     | a@1.1.0 shadow (ms) | b@1.0.0 (ms) |
 * |------|------|------|------------------|---------------------|--------------|
 * | c1   | A    | W47  | fired, 1 card 10 | fired, 1 card 12    |              |
 * | c2   | A    | W47  | fired, 1 card 20 | not-fired 14        |              |
 * | c3   | A    | W47  | not-fired 30     | fired, 1 card 16    |              |
 * | c4   | A    | W47  | incomplete 40    | incomplete 18       |              |
 * | c5   | A    | W48  | fired, 1 card 50 | fired, 1 card 20    |              |
 * | c6   | A    | W48  | error 60         | not-fired 22        |              |
 * | c7   | B    | W48  | fired, 1 card 70 | fired, 2 cards 24   | fired, 1 card 5 |
 * | c8   | B    | W48  | not-fired 80     | not-fired 26        | not-fired 7  |
 *
 * Feedback: c1's card overridden (patient-ineligible) then accepted with 1 suggestion (latest wins);
 * c2's overridden (patient-ineligible); c5's overridden with a comment and no reason; c7's A card accepted
 * with 2 suggestions; c7's B card overridden (recipient-concerns-outcomes); one feedback for a card the
 * store never saw.
 */
const REASONS = 'http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes';
const A1 = 'pincer-a@1.0.0';
const A2 = 'pincer-a@1.1.0';
const B1 = 'pincer-b@1.0.0';

type Result = ReleaseEvaluation['result'];

function uuid(n: number, kind: number): string {
  return `00000000-0000-4000-8000-${String(kind).padStart(4, '0')}${String(n).padStart(8, '0')}`;
}

function evaluation(
  call: number,
  release: string,
  role: 'active' | 'shadow',
  result: Result,
  ms: number,
  cardCount = result === 'fired' ? 1 : 0,
): ReleaseEvaluation {
  const kind = release === A1 ? 1 : release === A2 ? 2 : 3;
  return {
    release,
    hash: `hash-${release}`,
    role,
    result,
    missingData: result === 'incomplete' ? ['eGFR'] : [],
    ...(result === 'error'
      ? {
          error: {
            resourceType: 'OperationOutcome' as const,
            issue: [{ severity: 'error' as const, code: 'exception' as const, diagnostics: 'CQL failed' }],
          },
        }
      : {}),
    cards: Array.from({ length: cardCount }, (_, i) => ({
      uuid: uuid(call * 10 + i, kind),
      indicator: 'warning',
      summary: `${release} card`,
      suggestions: [uuid(call * 10 + i, kind + 10), uuid(call * 10 + i, kind + 20)],
    })),
    evaluationMs: ms,
  };
}

function call(n: number, site: string, date: string, evaluations: ReleaseEvaluation[]): HookCallEntry {
  return {
    id: uuid(n, 9000),
    serviceId: 'pincer-order-sign',
    hook: 'order-sign',
    hookInstance: uuid(n, 9001),
    evaluatedAt: `${date}T10:00:00.000+00:00`,
    localDate: date,
    isoWeek: date < '2026-11-23' ? '2026-W47' : '2026-W48',
    patientPseudonym: `pseudonym-${n}`,
    pseudonymKeyId: 'key1',
    site,
    issuer: null,
    tenant: null,
    prefetch: { supplied: ['patient', 'medications'], fetched: [], missing: [] },
    timings: { prefetchMs: 1, fallbackMs: 0, evaluationMs: 5 },
    evaluations,
    recordedAt: '2026-11-30T12:00:00.000Z',
  };
}

export const RECORDED_CALLS: readonly HookCallEntry[] = [
  call(1, 'site-A', '2026-11-16', [
    evaluation(1, A1, 'active', 'fired', 10),
    evaluation(1, A2, 'shadow', 'fired', 12),
  ]),
  call(2, 'site-A', '2026-11-17', [
    evaluation(2, A1, 'active', 'fired', 20),
    evaluation(2, A2, 'shadow', 'not-fired', 14),
  ]),
  call(3, 'site-A', '2026-11-18', [
    evaluation(3, A1, 'active', 'not-fired', 30),
    evaluation(3, A2, 'shadow', 'fired', 16),
  ]),
  call(4, 'site-A', '2026-11-22', [
    evaluation(4, A1, 'active', 'incomplete', 40),
    evaluation(4, A2, 'shadow', 'incomplete', 18),
  ]),
  call(5, 'site-A', '2026-11-23', [
    evaluation(5, A1, 'active', 'fired', 50),
    evaluation(5, A2, 'shadow', 'fired', 20),
  ]),
  call(6, 'site-A', '2026-11-24', [
    evaluation(6, A1, 'active', 'error', 60),
    evaluation(6, A2, 'shadow', 'not-fired', 22),
  ]),
  call(7, 'site-B', '2026-11-25', [
    evaluation(7, A1, 'active', 'fired', 70),
    evaluation(7, A2, 'shadow', 'fired', 24, 2),
    evaluation(7, B1, 'active', 'fired', 5),
  ]),
  call(8, 'site-B', '2026-11-29', [
    evaluation(8, A1, 'active', 'not-fired', 80),
    evaluation(8, A2, 'shadow', 'not-fired', 26),
    evaluation(8, B1, 'active', 'not-fired', 7),
  ]),
];

/** The uuid of the first card of `release` on call `n`. */
export function cardOf(n: number, release: string): string {
  const card = RECORDED_CALLS[n - 1]?.evaluations.find((e) => e.release === release)?.cards[0];
  if (card === undefined) throw new Error(`call ${n} has no ${release} card`);
  return card.uuid;
}

function feedback(
  n: number,
  card: string,
  outcome: 'accepted' | 'overridden',
  at: string,
  extra: Partial<FeedbackEntry> = {},
): FeedbackEntry {
  return {
    id: uuid(n, 8000),
    serviceId: 'pincer-order-sign',
    cardUuid: card,
    outcome,
    acceptedSuggestions: [],
    overrideReason: null,
    userComment: null,
    outcomeTimestamp: at,
    outcomeAt: new Date(at).toISOString(),
    receivedAt: new Date(at).toISOString(),
    ...extra,
  };
}

export const UNKNOWN_CARD = '99999999-9999-4999-8999-999999999999';

export const RECORDED_FEEDBACK: readonly FeedbackEntry[] = [
  feedback(1, cardOf(1, A1), 'overridden', '2026-11-16T10:01:00Z', {
    overrideReason: { system: REASONS, code: 'patient-ineligible' },
  }),
  // Five minutes later, sent with a +01:00 offset: the latest, so it is the one counted.
  feedback(2, cardOf(1, A1), 'accepted', '2026-11-16T11:06:00+01:00', {
    acceptedSuggestions: [uuid(10, 11)],
  }),
  feedback(3, cardOf(2, A1), 'overridden', '2026-11-17T10:01:00Z', {
    overrideReason: {
      system: REASONS,
      code: 'patient-ineligible',
      display: 'Patient does not meet eligibility',
    },
    userComment: 'Short course',
  }),
  feedback(4, cardOf(5, A1), 'overridden', '2026-11-23T10:01:00Z', { userComment: 'Discussed with patient' }),
  feedback(5, cardOf(7, A1), 'accepted', '2026-11-25T10:01:00Z', {
    acceptedSuggestions: [uuid(70, 11), uuid(70, 21)],
  }),
  feedback(6, cardOf(7, B1), 'overridden', '2026-11-25T10:02:00Z', {
    overrideReason: { system: REASONS, code: 'recipient-concerns-outcomes' },
  }),
  feedback(7, UNKNOWN_CARD, 'accepted', '2026-11-26T09:00:00Z', { acceptedSuggestions: [uuid(1, 99)] }),
];

export const RELEASES = { A1, A2, B1, REASONS };
