import { describe, expect, it } from 'vitest';
import { REMOVE, withMember } from '../../test/support/hook-request-examples.js';
import { parseFeedbackRequest, type FeedbackRequest } from './cds-hooks-feedback-schema.js';

// The three examples of CDS Hooks 2.0.1 §Feedback, verbatim.
const accepted: FeedbackRequest = {
  feedback: [
    {
      card: '4e0a3a1e-3283-4575-ab82-028d55fe2719',
      outcome: 'accepted',
      acceptedSuggestions: [{ id: 'e56e1945-20b3-4393-8503-a1a20fd73152' }],
      outcomeTimestamp: '2021-12-11T10:05:31Z',
    },
  ],
};
const overriddenWithoutReason: FeedbackRequest = {
  feedback: [
    {
      card: 'f6b95768-b1c8-40dc-8385-bf3504b82ffb',
      outcome: 'overridden',
      outcomeTimestamp: '2020-12-11T00:00:00Z',
    },
  ],
};
const overriddenWithReason: FeedbackRequest = {
  feedback: [
    {
      card: '9368d37b-283f-44a0-93ea-547cebab93ed',
      outcome: 'overridden',
      overrideReason: {
        reason: { code: 'd7ecf885', system: 'https://example.com/cds-hooks/override-reason-system' },
        userComment: 'A comment entered by the clinician.',
      },
      outcomeTimestamp: '2020-12-11T00:00:00Z',
    },
  ],
};

function issuesOf(body: unknown): string[] {
  const result = parseFeedbackRequest(body);
  if (result.ok) throw new Error('expected the feedback to be rejected');
  return result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

function pathsOf(body: unknown): string[] {
  const result = parseFeedbackRequest(body);
  if (result.ok) throw new Error('expected the feedback to be rejected');
  return result.issues.map((issue) => issue.path);
}

describe('parseFeedbackRequest', () => {
  it.each([
    ['an accepted suggestion', accepted],
    ['an override without a reason', overriddenWithoutReason],
    ['an override with a reason and comment', overriddenWithReason],
  ])('accepts the spec example of %s', (_, body) => {
    expect(parseFeedbackRequest(body)).toEqual({ ok: true, request: body });
  });

  it('accepts an override with only a user comment', () => {
    expect(
      parseFeedbackRequest(
        withMember(overriddenWithReason, ['feedback', 0, 'overrideReason', 'reason'], REMOVE),
      ).ok,
    ).toBe(true);
  });

  it('accepts several feedback entries in one request, for several cards', () => {
    expect(
      parseFeedbackRequest({ feedback: [...accepted.feedback, ...overriddenWithReason.feedback] }).ok,
    ).toBe(true);
  });

  it('keeps members it does not know, such as an extension', () => {
    const body = withMember(accepted, ['feedback', 0, 'extension'], { 'org.example.session': 'abc' });
    const result = parseFeedbackRequest(body);
    expect(result.ok && result.request.feedback[0]).toMatchObject({
      extension: { 'org.example.session': 'abc' },
    });
  });

  it.each(['card', 'outcome', 'outcomeTimestamp'])('rejects feedback without %s and names it', (member) => {
    expect(issuesOf(withMember(accepted, ['feedback', 0, member], REMOVE))).toContain(
      `feedback[0].${member}: is required`,
    );
  });

  it('rejects a body without feedback, or with an empty feedback array', () => {
    expect(issuesOf({})).toEqual(['feedback: is required']);
    expect(pathsOf({ feedback: [] })).toEqual(['feedback']);
    expect(pathsOf(null)).toEqual(['(root)']);
  });

  it('rejects an accepted outcome without acceptedSuggestions', () => {
    expect(issuesOf(withMember(accepted, ['feedback', 0, 'acceptedSuggestions'], REMOVE))).toEqual([
      'feedback[0].acceptedSuggestions: is required when outcome is "accepted"',
    ]);
  });

  it('rejects an accepted outcome with an empty acceptedSuggestions array', () => {
    expect(pathsOf(withMember(accepted, ['feedback', 0, 'acceptedSuggestions'], []))).toEqual([
      'feedback[0].acceptedSuggestions',
    ]);
  });

  it('rejects acceptedSuggestions on an overridden outcome', () => {
    expect(
      issuesOf(
        withMember(
          overriddenWithoutReason,
          ['feedback', 0, 'acceptedSuggestions'],
          [{ id: 'e56e1945-20b3-4393-8503-a1a20fd73152' }],
        ),
      ),
    ).toEqual(['feedback[0].acceptedSuggestions: must be absent when outcome is "overridden"']);
  });

  it('rejects an overrideReason on an accepted outcome', () => {
    const reason = overriddenWithReason.feedback[0]?.overrideReason;
    expect(pathsOf(withMember(accepted, ['feedback', 0, 'overrideReason'], reason))).toEqual([
      'feedback[0].overrideReason',
    ]);
  });

  it('rejects an empty overrideReason', () => {
    expect(issuesOf(withMember(overriddenWithReason, ['feedback', 0, 'overrideReason'], {}))).toEqual([
      'feedback[0].overrideReason: must give a reason, a userComment, or both',
    ]);
  });

  it.each(['code', 'system'])('rejects an override reason Coding without %s', (member) => {
    expect(
      pathsOf(withMember(overriddenWithReason, ['feedback', 0, 'overrideReason', 'reason', member], REMOVE)),
    ).toEqual([`feedback[0].overrideReason.reason.${member}`]);
  });

  it('reports the cross-member rule even when another member is also wrong', () => {
    const body = withMember(
      withMember(accepted, ['feedback', 0, 'acceptedSuggestions'], REMOVE) as object,
      ['feedback', 0, 'card'],
      'card-1',
    );
    expect(pathsOf(body)).toEqual(['feedback[0].card', 'feedback[0].acceptedSuggestions']);
  });

  it.each([
    ['card', 'card-1'],
    ['card', 42],
    ['outcome', 'dismissed'],
    ['outcome', 'Accepted'],
    ['acceptedSuggestions', [{ id: 'suggestion-1' }]],
    ['acceptedSuggestions', { id: 'e56e1945-20b3-4393-8503-a1a20fd73152' }],
    ['outcomeTimestamp', 1639217131000],
  ])('rejects %s = %j', (member, value) => {
    expect(pathsOf(withMember(accepted, ['feedback', 0, member], value))[0]).toMatch(
      new RegExp(`^feedback\\[0\\]\\.${member}`),
    );
  });

  it.each([
    '2021-12-11T10:05:31Z',
    '1985-04-12T23:20:50.52Z',
    '2021-12-11T10:05:31+00:00',
    '2021-07-11T11:05:31+01:00',
  ])('accepts the RFC 3339 date-time %s', (outcomeTimestamp) => {
    expect(
      parseFeedbackRequest(withMember(accepted, ['feedback', 0, 'outcomeTimestamp'], outcomeTimestamp)).ok,
    ).toBe(true);
  });

  it.each([
    '2021-12-11',
    '2021-12-11T10:05:31',
    '2021-12-11 10:05:31Z',
    '2021-12-11T10:05Z',
    '2021-02-30T10:05:31Z',
    '2021-12-11t10:05:31z',
    '',
  ])('rejects the outcomeTimestamp "%s"', (outcomeTimestamp) => {
    expect(pathsOf(withMember(accepted, ['feedback', 0, 'outcomeTimestamp'], outcomeTimestamp))).toEqual([
      'feedback[0].outcomeTimestamp',
    ]);
  });

  it('rejects more than 1000 feedback entries', () => {
    const entry = overriddenWithoutReason.feedback[0];
    expect(pathsOf({ feedback: Array.from({ length: 1001 }, () => entry) })).toEqual(['feedback']);
  });

  it('rejects a user comment longer than 4096 characters', () => {
    expect(
      pathsOf(
        withMember(overriddenWithReason, ['feedback', 0, 'overrideReason', 'userComment'], 'x'.repeat(4097)),
      ),
    ).toEqual(['feedback[0].overrideReason.userComment']);
  });
});
