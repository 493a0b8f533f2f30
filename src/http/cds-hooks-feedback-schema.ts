/**
 * The CDS Hooks 2.0.1 feedback request: `POST {baseUrl}/cds-services/{id}/feedback`
 * (CDS Hooks 2.0 §Feedback, https://cds-hooks.hl7.org/2.0/#feedback; text read from tag v2.0.1 of
 * github.com/HL7/cds-hooks, input/pagecontent/index.md).
 */
import { z } from 'zod';
import {
  expecting,
  toSchemaIssues,
  uuidSchema,
  WIRE_LIMITS,
  wireErrorMessage,
  wireString,
  type SchemaIssue,
} from './cds-hooks-request-schema.js';

/** §Coding, as selected by the user: `code` and `system` REQUIRED; `display` is only REQUIRED when a service offers it. */
export interface FeedbackCoding {
  system: string;
  code: string;
  display?: string;
}

/** §OverrideReason: `reason` CONDITIONAL (when the user picked one of the card's reasons), `userComment` OPTIONAL. */
export interface FeedbackOverrideReason {
  reason?: FeedbackCoding;
  userComment?: string;
}

export type FeedbackOutcome = 'accepted' | 'overridden';

/** §Feedback: one end-user interaction with one card. */
export interface Feedback {
  /** The `card.uuid` of the card acted on. */
  card: string;
  outcome: FeedbackOutcome;
  /** §Suggestion accepted: `{ id }` is a `card.suggestion.uuid`. Required for `accepted` outcomes. */
  acceptedSuggestions?: Array<{ id: string }>;
  overrideReason?: FeedbackOverrideReason;
  /** RFC 3339 §5.6 date-time, e.g. `1985-04-12T23:20:50.52Z`. */
  outcomeTimestamp: string;
}

export interface FeedbackRequest {
  feedback: Feedback[];
}

const codingSchema: z.ZodType<FeedbackCoding> = z.looseObject({
  system: wireString(),
  code: wireString(),
  display: wireString().exactOptional(),
});

/**
 * An empty overrideReason says nothing and is an empty object, which §Use of JSON prohibits (the CI build's
 * invariant cds-fb-3 states the same: "reason.exists() or userComment.exists()").
 */
const overrideReasonSchema: z.ZodType<FeedbackOverrideReason> = z
  .looseObject({ reason: codingSchema.exactOptional(), userComment: wireString().exactOptional() })
  .refine(
    (value) => value.reason !== undefined || value.userComment !== undefined,
    'must give a reason, a userComment, or both',
  );

/**
 * §Feedback `outcomeTimestamp`: "ISO8601 representation of the date and time in Coordinated Universal Time (UTC)
 * … as profiled in section 5.6 of RFC3339". RFC 3339 `date-time` requires seconds and an offset; an offset other
 * than `Z` still names one instant, so it is accepted (as the FHIR `instant` type of the CI build's model does).
 * Lower-case `t`/`z` are refused, as in FHIR `instant`.
 */
const outcomeTimestampSchema = z
  .string({ error: expecting('must be an RFC 3339 date-time, e.g. 2021-12-11T10:05:31Z') })
  .max(64, { abort: true, message: 'must be an RFC 3339 date-time, e.g. 2021-12-11T10:05:31Z' })
  .pipe(
    z.iso.datetime({
      offset: true,
      error: 'must be an RFC 3339 date-time with seconds and an offset, e.g. 2021-12-11T10:05:31Z',
    }),
  );

/**
 * The rules between `outcome` and the other members. The spec states the first; the other two are loopcds's
 * reading of the rest of §Feedback ("while one or more suggestions can be accepted, an entire card is either
 * ignored or overridden"; an AcceptedSuggestion is defined for accepted outcomes and an OverrideReason for
 * overridden ones): contradictory feedback would corrupt the acceptance and override rates of the outcome store.
 */
function checkOutcomeMembers(value: unknown, ctx: z.RefinementCtx): void {
  if (typeof value !== 'object' || value === null) return;
  const item = value as { outcome?: unknown; acceptedSuggestions?: unknown; overrideReason?: unknown };
  if (item.outcome === 'accepted' && item.acceptedSuggestions === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['acceptedSuggestions'],
      message: 'is required when outcome is "accepted"',
    });
  }
  if (item.outcome === 'overridden' && item.acceptedSuggestions !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['acceptedSuggestions'],
      message: 'must be absent when outcome is "overridden"',
    });
  }
  if (item.outcome === 'accepted' && item.overrideReason !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['overrideReason'],
      message: 'must be absent when outcome is "accepted"',
    });
  }
}

const feedbackSchema: z.ZodType<Feedback> = z
  .looseObject({
    card: uuidSchema,
    outcome: z.enum(['accepted', 'overridden'], { error: expecting('must be "accepted" or "overridden"') }),
    acceptedSuggestions: z
      .array(z.looseObject({ id: uuidSchema }))
      .min(1, 'must name at least one suggestion')
      .max(WIRE_LIMITS.maxArrayLength, `must hold at most ${WIRE_LIMITS.maxArrayLength} entries`)
      .exactOptional(),
    overrideReason: overrideReasonSchema.exactOptional(),
    outcomeTimestamp: outcomeTimestampSchema,
  })
  .superRefine(checkOutcomeMembers, { when: () => true });

/** §Feedback: "an object containing an array" of Feedback; an empty array is an empty element (§Use of JSON). */
export const feedbackRequestSchema: z.ZodType<FeedbackRequest> = z.looseObject({
  feedback: z
    .array(feedbackSchema)
    .min(1, 'must hold at least one feedback entry')
    .max(WIRE_LIMITS.maxArrayLength, `must hold at most ${WIRE_LIMITS.maxArrayLength} entries`),
});

export type FeedbackParseResult =
  { ok: true; request: FeedbackRequest } | { ok: false; issues: SchemaIssue[] };

/** Validates a feedback request body, listing every issue with its FHIRPath-like location. */
export function parseFeedbackRequest(body: unknown): FeedbackParseResult {
  const result = feedbackRequestSchema.safeParse(body, { error: wireErrorMessage });
  return result.success
    ? { ok: true, request: result.data }
    : { ok: false, issues: toSchemaIssues(result.error.issues) };
}
