/**
 * The CDS Hooks 2.0.1 service request on the wire, and the contexts of the hooks loopcds answers.
 *
 * Sources (read from the published texts, cited below by section):
 * - CDS Hooks 2.0.1 (STU2 technical correction 1), https://cds-hooks.hl7.org/2.0/ — git tag v2.0.1 of
 *   github.com/HL7/cds-hooks, input/pagecontent/index.md.
 * - CDS Hooks Library 1.0.1 (STU1), https://cds-hooks.hl7.org/hooks/STU1/ — git tag v1.0.1 of
 *   github.com/HL7/cds-hooks-library: patient-view 1.0, order-select 1.0.2, order-sign 1.1.0,
 *   encounter-start 1.0, appointment-book 1.0.
 *
 * Every string, id and array is bounded so that hostile input is rejected before any expensive work.
 */
import { z } from 'zod';

/** Bounds on the wire format (loopcds policy, not the spec's). */
export const WIRE_LIMITS = {
  /** Any free-text or URL string. */
  maxStringLength: 4096,
  /** FHIR R4 id: `[A-Za-z0-9\-\.]{1,64}`. */
  maxIdLength: 64,
  /** Any array, including Bundle.entry in context. */
  maxArrayLength: 1000,
  /** Keys of `prefetch` and `extension` objects. */
  maxKeyLength: 256,
  /** Entries in `prefetch` and `extension` objects. */
  maxObjectEntries: 1000,
  /** OAuth access tokens (JWTs with many claims outgrow 4096; 8 KiB is the usual HTTP header limit). */
  maxAccessTokenLength: 8192,
} as const;

// ---------------------------------------------------------------------------------------------
// Issues

/** One validation failure, with a FHIRPath-like location such as `context.draftOrders.entry[0].resource`. */
export interface SchemaIssue {
  path: string;
  message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Formats a zod path as FHIRPath: `.name` for identifiers, `[n]` for indexes, and FHIRPath's
 * delimited identifier (`` .`hemoglobin-a1c` ``) for keys that are not identifiers.
 */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const name = String(segment);
      const part = IDENTIFIER.test(name)
        ? name
        : `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
      out += out === '' ? part : `.${part}`;
    }
  }
  return out === '' ? '(root)' : out;
}

/**
 * Per-parse error messages: a missing member is "required" and a `null` member is refused with the
 * rule it breaks (CDS Hooks 2.0 §Use of JSON: "JSON elements SHALL NOT be null, unless otherwise specified").
 * Returning undefined keeps zod's message.
 */
export function wireErrorMessage(issue: { code?: string; input?: unknown }): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  if (issue.input === null)
    return 'must not be null (CDS Hooks 2.0 §Use of JSON: omit an absent optional element)';
  return undefined;
}

/**
 * A schema-level message that still says "is required" for a missing member and refuses `null` with its rule
 * (a schema's own message would otherwise replace the per-parse one for every issue).
 */
export function expecting(message: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined || issue.input === null
      ? (wireErrorMessage({ code: 'invalid_type', input: issue.input }) ?? message)
      : message;
}

/** Flattens zod issues into {@link SchemaIssue}s; a bad record key reports its own message. */
export function toSchemaIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): SchemaIssue[] {
  return issues.map((issue) => ({
    path: formatIssuePath([...prefix, ...issue.path]),
    message: issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message,
  }));
}

// ---------------------------------------------------------------------------------------------
// Primitives

/**
 * A present string: bounded, and neither empty nor blank. CDS Hooks 2.0 §Use of JSON prohibits `""`; blank
 * strings are refused too, as drafts of the spec between 1.0 and 2.0 said ("MAY NOT have empty values (those
 * without any characters or just whitespace characters)", cds-hooks/docs docs/specification/current.md).
 */
export function wireString(maxLength: number = WIRE_LIMITS.maxStringLength) {
  return z
    .string()
    .max(maxLength, { abort: true, message: `must be at most ${maxLength} characters` })
    .refine((value) => value.trim().length > 0, {
      abort: true,
      message: 'must not be empty or blank (CDS Hooks 2.0 §Use of JSON)',
    });
}

/** FHIR R4 id type (https://hl7.org/fhir/R4/datatypes.html#id). */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const RESOURCE_TYPE_PATTERN = /^[A-Z][A-Za-z]{0,63}$/;
const REFERENCE_PATTERN = /^([A-Z][A-Za-z]{0,63})\/([A-Za-z0-9\-.]{1,64})$/;
const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const fhirIdSchema = z
  .string()
  .max(WIRE_LIMITS.maxIdLength, {
    abort: true,
    message: `must be at most ${WIRE_LIMITS.maxIdLength} characters`,
  })
  .regex(FHIR_ID_PATTERN, 'must be a FHIR id ([A-Za-z0-9-.]{1,64})');

/**
 * A UUID in its 8-4-4-4-12 hexadecimal form, any version or variant (the spec says "UUID" without naming
 * one; clients generate v4 in practice, but a v1 or v7 identifier is still unique).
 */
export const uuidSchema = z
  .string()
  .max(36, { abort: true, message: 'must be a UUID (8-4-4-4-12 hexadecimal digits)' })
  .regex(UUID_PATTERN, 'must be a UUID (8-4-4-4-12 hexadecimal digits)');

/** A relative reference `Type/id` whose type is one of `types` (or any resource type when omitted). */
function relativeReferenceSchema(types?: readonly string[]) {
  const expected = types === undefined ? '[ResourceType]/[id]' : `${types.join('|')}/[id]`;
  return z
    .string()
    .max(WIRE_LIMITS.maxIdLength * 2 + 1, {
      abort: true,
      message: `must be a relative reference ${expected}`,
    })
    .refine((value) => {
      const match = REFERENCE_PATTERN.exec(value);
      return match !== null && (types === undefined || types.includes(match[1] ?? ''));
    }, `must be a relative reference ${expected}`);
}

/** A FHIR resource as the wire format sees it: an object with a `resourceType`, all else left to the engine. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}

const resourceTypeSchema = z
  .string()
  .max(64, { abort: true, message: 'must be a FHIR resource type' })
  .regex(RESOURCE_TYPE_PATTERN, 'must be a FHIR resource type');

/** Any FHIR resource: its content is the engine's business, not the wire format's. */
export const fhirResourceSchema: z.ZodType<FhirResource> = z.looseObject(
  { resourceType: resourceTypeSchema },
  { error: expecting('must be a FHIR resource (a JSON object with a resourceType)') },
);

/** A prefetch value: a FHIR resource, or `null`. */
const prefetchValueSchema = z
  .looseObject(
    { resourceType: resourceTypeSchema },
    { error: expecting('must be a FHIR resource (a JSON object with a resourceType) or null') },
  )
  .nullable();

/** A Bundle carried in a hook context (`draftOrders`, `appointments`). */
export interface ContextBundle<R extends FhirResource = FhirResource> {
  resourceType: 'Bundle';
  type?: string;
  entry: Array<{ fullUrl?: string; resource: R }>;
}

function contextBundleSchema<R extends FhirResource>(resource: z.ZodType<R>): z.ZodType<ContextBundle<R>> {
  return z.looseObject({
    resourceType: z.literal('Bundle', { error: expecting('must be "Bundle"') }),
    type: wireString(64).exactOptional(),
    // Empty arrays are prohibited (§Use of JSON), and a hook about orders or appointments has at least one.
    entry: z
      .array(z.looseObject({ fullUrl: wireString().exactOptional(), resource }))
      .min(1, 'must hold at least one entry')
      .max(WIRE_LIMITS.maxArrayLength, `must hold at most ${WIRE_LIMITS.maxArrayLength} entries`),
  });
}

/** A JSON object with bounded keys and entry count that is not empty (§Use of JSON: `{}` is prohibited). */
function boundedObjectSchema<V extends z.ZodType>(value: V) {
  return z
    .custom<Record<string, unknown>>(
      (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
      {
        error: expecting('must be a JSON object'),
        abort: true,
      },
    )
    .check((ctx) => {
      const count = Object.keys(ctx.value).length;
      if (count === 0) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: 'must not be an empty object (CDS Hooks 2.0 §Use of JSON)',
        });
      }
      if (count > WIRE_LIMITS.maxObjectEntries) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `must have at most ${WIRE_LIMITS.maxObjectEntries} members`,
          abort: true,
        });
      }
    })
    .pipe(
      z.record(
        z
          .string()
          .max(WIRE_LIMITS.maxKeyLength, `keys must be at most ${WIRE_LIMITS.maxKeyLength} characters`),
        value,
      ),
    );
}

// ---------------------------------------------------------------------------------------------
// Hook contexts (CDS Hooks Library 1.0.1; all context objects stay open, because a minor hook version may add
// OPTIONAL fields — CDS Hooks 2.0 §Hook Version)

const USER_ANYONE = ['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson'] as const;
const USER_CLINICIAN = ['Practitioner', 'PractitionerRole'] as const;

/** patient-view 1.0: userId may be a patient or their proxy viewing the record. */
export interface PatientViewContext {
  userId: string;
  patientId: string;
  encounterId?: string;
}

/** order-select 1.0.2: `selections` name entries of `draftOrders`, e.g. `MedicationRequest/103`. */
export interface OrderSelectContext {
  userId: string;
  patientId: string;
  encounterId?: string;
  selections: string[];
  draftOrders: ContextBundle;
}

/** order-sign 1.1.0 (1.1 allows re-signing revised orders, so the orders' status is not checked). */
export interface OrderSignContext {
  userId: string;
  patientId: string;
  encounterId?: string;
  draftOrders: ContextBundle;
}

/** encounter-start 1.0: the encounter is REQUIRED. */
export interface EncounterStartContext {
  userId: string;
  patientId: string;
  encounterId: string;
}

/** appointment-book 1.0: `appointments` is a Bundle of Appointments in 'proposed' state. */
export interface AppointmentBookContext {
  userId: string;
  patientId: string;
  encounterId?: string;
  appointments: ContextBundle;
}

/** The context of each hook loopcds answers, by hook name. */
export interface HookContexts {
  'patient-view': PatientViewContext;
  'order-select': OrderSelectContext;
  'order-sign': OrderSignContext;
  'encounter-start': EncounterStartContext;
  'appointment-book': AppointmentBookContext;
}

export type HookName = keyof HookContexts;

export const HOOK_NAMES = [
  'patient-view',
  'order-select',
  'order-sign',
  'encounter-start',
  'appointment-book',
] as const satisfies readonly HookName[];

export function isHookName(value: string): value is HookName {
  return (HOOK_NAMES as readonly string[]).includes(value);
}

/**
 * Context fields each hook marks "Prefetch Token: Yes" (CDS Hooks Library 1.0.1 context tables). Only
 * root-level primitive fields can be tokens (CDS Hooks 2.0 §Prefetch tokens).
 */
export const PREFETCH_TOKEN_FIELDS: { readonly [H in HookName]: readonly string[] } = {
  'patient-view': ['userId', 'patientId', 'encounterId'],
  'order-select': ['userId', 'patientId', 'encounterId'],
  'order-sign': ['userId', 'patientId', 'encounterId'],
  'encounter-start': ['userId', 'patientId', 'encounterId'],
  'appointment-book': ['userId', 'patientId', 'encounterId'],
};

const draftOrderSchema: z.ZodType<FhirResource> = z.looseObject(
  { resourceType: resourceTypeSchema, id: fhirIdSchema.exactOptional() },
  { error: expecting('must be a FHIR resource (a JSON object with a resourceType)') },
);
const appointmentSchema: z.ZodType<FhirResource> = z.looseObject(
  {
    resourceType: z.literal('Appointment', {
      error: expecting('must be "Appointment" (appointment-book: a Bundle of Appointments)'),
    }),
    id: fhirIdSchema.exactOptional(),
  },
  { error: expecting('must be an Appointment resource') },
);

const selectionsSchema = z
  .array(relativeReferenceSchema())
  .min(1, 'must name at least one selected order')
  .max(WIRE_LIMITS.maxArrayLength, `must hold at most ${WIRE_LIMITS.maxArrayLength} entries`);

/** order-select: "The `selections` field references FHIR resources in the `draftOrders` Bundle." */
function checkSelectionsAreDraftOrders(value: unknown, ctx: z.RefinementCtx): void {
  const context = value as { selections?: unknown; draftOrders?: { entry?: unknown } } | null;
  if (typeof context !== 'object' || context === null || !Array.isArray(context.selections)) return;
  const entries = context.draftOrders?.entry;
  if (!Array.isArray(entries)) return;
  const drafted = new Set<string>();
  for (const entry of entries.slice(0, WIRE_LIMITS.maxArrayLength) as Array<{
    resource?: { resourceType?: unknown; id?: unknown };
  } | null>) {
    const resource = entry?.resource;
    if (typeof resource?.resourceType === 'string' && typeof resource.id === 'string')
      drafted.add(`${resource.resourceType}/${resource.id}`);
  }
  context.selections.slice(0, WIRE_LIMITS.maxArrayLength).forEach((selection: unknown, index) => {
    if (typeof selection === 'string' && REFERENCE_PATTERN.test(selection) && !drafted.has(selection)) {
      ctx.addIssue({
        code: 'custom',
        path: ['selections', index],
        message: `names ${selection}, which is not an entry of draftOrders`,
      });
    }
  });
}

/** Zod schemas of each hook's context. */
export const hookContextSchemas: { readonly [H in HookName]: z.ZodType<HookContexts[H]> } = {
  'patient-view': z.looseObject({
    userId: relativeReferenceSchema(USER_ANYONE),
    patientId: fhirIdSchema,
    encounterId: fhirIdSchema.exactOptional(),
  }),
  'order-select': z
    .looseObject({
      userId: relativeReferenceSchema(USER_CLINICIAN),
      patientId: fhirIdSchema,
      encounterId: fhirIdSchema.exactOptional(),
      selections: selectionsSchema,
      draftOrders: contextBundleSchema(draftOrderSchema),
    })
    .superRefine(checkSelectionsAreDraftOrders, { when: () => true }),
  'order-sign': z.looseObject({
    userId: relativeReferenceSchema(USER_CLINICIAN),
    patientId: fhirIdSchema,
    encounterId: fhirIdSchema.exactOptional(),
    draftOrders: contextBundleSchema(draftOrderSchema),
  }),
  'encounter-start': z.looseObject({
    userId: relativeReferenceSchema(USER_CLINICIAN),
    patientId: fhirIdSchema,
    encounterId: fhirIdSchema,
  }),
  'appointment-book': z.looseObject({
    userId: relativeReferenceSchema(USER_ANYONE),
    patientId: fhirIdSchema,
    encounterId: fhirIdSchema.exactOptional(),
    appointments: contextBundleSchema(appointmentSchema),
  }),
};

// ---------------------------------------------------------------------------------------------
// The request envelope (CDS Hooks 2.0 §Calling a CDS Service, §HTTP Request)

/** CDS Hooks 2.0 §Passing the Access Token to the CDS Service. */
export interface FhirAuthorization {
  access_token: string;
  token_type: 'Bearer';
  /** Lifetime of the token in seconds. */
  expires_in: number;
  scope: string;
  /** The OAuth 2.0 client id of the CDS Service. */
  subject: string;
  /** CONDITIONAL: SHOULD be present when `scope` grants `patient/` scopes; not enforced. */
  patient?: string;
}

/** Prefetched data: a FHIR resource per key, or `null` when the client has no data for that template. */
export type Prefetch = Record<string, FhirResource | null>;

/** CDS Hooks 2.0 §Extensions: the reserved `extension` member is a JSON object. */
export type Extension = Record<string, unknown>;

export interface HookRequestBase {
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: FhirAuthorization;
  prefetch?: Prefetch;
  extension?: Extension;
}

/** A validated request for hook `H`; `hook` discriminates the context. Unknown top-level members survive at runtime. */
export type HookRequest<H extends HookName = HookName> = H extends HookName
  ? HookRequestBase & { hook: H; context: HookContexts[H] }
  : never;

/** The envelope as validated before the context: `context` is only known to be a non-empty object. */
export type HookRequestEnvelope = HookRequestBase & { hook: string; context: Record<string, unknown> };

const fhirServerSchema = wireString().refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  // Credentials in the base URL would be sent to every query; the spec's `https` rule for production data is
  // configuration, enforced where the FHIR client is built, so that local test servers can use http.
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === ''
  );
}, 'must be an absolute http(s) URL without credentials');

const fhirAuthorizationSchema: z.ZodType<FhirAuthorization> = z.looseObject({
  access_token: wireString(WIRE_LIMITS.maxAccessTokenLength),
  token_type: z.literal('Bearer', { error: expecting('must be "Bearer" (fixed value)') }),
  expires_in: z
    .int({ error: expecting('must be an integer number of seconds') })
    .min(0, 'must not be negative')
    .max(2_147_483_647, 'is too large'),
  scope: wireString(),
  subject: wireString(),
  patient: fhirIdSchema.exactOptional(),
});

/** "If fhirAuthorization is provided, this field is REQUIRED" (§HTTP Request, `fhirServer` CONDITIONAL). */
function checkFhirServerWithAuthorization(value: unknown, ctx: z.RefinementCtx): void {
  if (typeof value !== 'object' || value === null) return;
  const request = value as { fhirServer?: unknown; fhirAuthorization?: unknown };
  // A null fhirAuthorization is reported by itself (§Use of JSON), not as a missing fhirServer too.
  if (
    request.fhirAuthorization !== undefined &&
    request.fhirAuthorization !== null &&
    request.fhirServer === undefined
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['fhirServer'],
      message: 'is required when fhirAuthorization is present',
    });
  }
}

/** The request envelope: unknown top-level members are allowed (CDS Hooks 2.0 §Extensions). */
export const hookRequestEnvelopeSchema: z.ZodType<HookRequestEnvelope> = z
  .looseObject({
    hook: wireString(),
    hookInstance: uuidSchema,
    fhirServer: fhirServerSchema.exactOptional(),
    fhirAuthorization: fhirAuthorizationSchema.exactOptional(),
    context: boundedObjectSchema(z.unknown()),
    // §Prefetch Template: "If the CDS Client has no data to populate a template prefetch key, the prefetch
    // template key MUST have a value of null"; an OperationOutcome (a resource) reports a failed key.
    prefetch: boundedObjectSchema(prefetchValueSchema).exactOptional(),
    extension: boundedObjectSchema(z.unknown()).exactOptional(),
  })
  .superRefine(checkFhirServerWithAuthorization, { when: () => true });

// ---------------------------------------------------------------------------------------------
// Parsing

export type HookRequestParseResult =
  | { ok: true; request: HookRequest }
  | {
      ok: false;
      /** Which check failed first: the envelope, the hook name, or the hook's context. */
      stage: 'envelope' | 'hook' | 'context';
      issues: SchemaIssue[];
    };

/**
 * Validates a request body for a service that answers `expectedHook`: the envelope, then that `hook` is
 * `expectedHook`, then the context against the hook's definition. Envelope and context issues are reported
 * together. Throws if `expectedHook` is not a hook loopcds knows (a configuration error, not a bad request).
 */
export function parseHookRequest(body: unknown, expectedHook: string): HookRequestParseResult {
  if (!isHookName(expectedHook)) throw new Error(`loopcds has no context schema for hook "${expectedHook}"`);

  const envelope = hookRequestEnvelopeSchema.safeParse(body, { error: wireErrorMessage });
  const issues = envelope.success ? [] : toSchemaIssues(envelope.error.issues);

  const raw = body as { hook?: unknown; context?: unknown } | null;
  const hook = typeof raw === 'object' && raw !== null ? raw.hook : undefined;
  if (typeof hook === 'string' && hook !== expectedHook) {
    issues.push({
      path: 'hook',
      message: `is "${hook.slice(0, 64)}", but this service answers "${expectedHook}"`,
    });
    return { ok: false, stage: envelope.success ? 'hook' : 'envelope', issues };
  }

  const rawContext = typeof raw === 'object' && raw !== null ? raw.context : undefined;
  const contextIsObject = typeof rawContext === 'object' && rawContext !== null && !Array.isArray(rawContext);
  const context = contextIsObject
    ? hookContextSchemas[expectedHook].safeParse(rawContext, { error: wireErrorMessage })
    : undefined;
  if (context !== undefined && !context.success) {
    issues.push(...toSchemaIssues(context.error.issues, ['context']));
  }

  if (!envelope.success || context === undefined || !context.success) {
    return { ok: false, stage: envelope.success ? 'context' : 'envelope', issues };
  }
  // The context schema was chosen by `expectedHook`, which equals `hook`: the pair is consistent.
  const request = { ...envelope.data, hook: expectedHook, context: context.data } as HookRequest;
  return { ok: true, request };
}
