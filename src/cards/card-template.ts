import { z } from 'zod';

/**
 * Card templates: how an artefact's CQL results become CDS Hooks cards. Texts are Mustache templates
 * over the results (expression names as keys), the hook context (`context.*`) and the release
 * (`release.*`). Values that differ by situation are lists of `{ when?, unless?, value }`; the first
 * whose `when` expression is true (and `unless` expression is not) applies.
 */
const expressionName = z.string().min(1).max(200);

function conditional<T extends z.ZodType>(value: T) {
  return z.union([
    value,
    z
      .array(z.object({ when: expressionName.optional(), unless: expressionName.optional(), value }).strict())
      .min(1),
  ]);
}

const indicator = z.enum(['info', 'warning', 'critical']);
const coding = z
  .object({ system: z.string().min(1), code: z.string().min(1), display: z.string().min(1) })
  .strict();

/** A medication named by its display term in a value set: the code comes from the value set, never typed. */
const medicationFromValueSet = z.object({ valueSet: z.string().min(1), display: z.string().min(1) }).strict();

const medicationRequestTemplate = z
  .object({
    resourceType: z.literal('MedicationRequest'),
    medication: medicationFromValueSet,
    dosageText: z.string().min(1),
    dose: z.object({ value: z.number().positive(), unit: z.string().min(1) }).strict(),
    timing: z
      .object({
        frequency: z.number().int().positive(),
        period: z.number().positive(),
        periodUnit: z.enum(['h', 'd', 'wk', 'mo']),
      })
      .strict(),
    route: coding,
    supply: z
      .object({ quantity: z.number().positive(), unit: z.string().min(1), days: z.number().int().positive() })
      .strict(),
    reason: z.string().min(1),
  })
  .strict();

/** A test or procedure to order (e.g. the monitoring a PINCER indicator finds missing), coded from a value set. */
const serviceRequestTemplate = z
  .object({
    resourceType: z.literal('ServiceRequest'),
    code: medicationFromValueSet,
    /** SNOMED CT category of the request, e.g. laboratory procedure; optional. */
    category: coding.optional(),
    reason: z.string().min(1),
    note: z.string().min(1).optional(),
  })
  .strict();

const actionTemplate = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('create'),
      description: z.string().min(1),
      resource: z.discriminatedUnion('resourceType', [medicationRequestTemplate, serviceRequestTemplate]),
    })
    .strict(),
  z
    .object({
      type: z.literal('delete'),
      description: z.string().min(1),
      /** An expression giving a list of tuples with `resourceType` and `id`: one delete action each. */
      forEach: expressionName,
    })
    .strict(),
]);

const suggestionTemplate = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    when: expressionName.optional(),
    label: z.string().min(1).max(200),
    isRecommended: z.boolean().optional(),
    actions: z.array(actionTemplate).min(1),
  })
  .strict();

const linkTemplate = z
  .object({ label: z.string().min(1), url: z.url(), type: z.enum(['absolute', 'smart']).default('absolute') })
  .strict();

export const cardTemplateSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    /** The expression that must be true for this card to be shown. */
    when: expressionName,
    indicator: conditional(indicator),
    summary: conditional(z.string().min(1)),
    detail: conditional(z.string().min(1)),
    suggestions: z.array(suggestionTemplate).default([]),
    selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
    links: z.array(linkTemplate).default([]),
    /** Override reasons offered; absent means the service's default list. */
    overrideReasons: z.array(coding).optional(),
  })
  .strict()
  .refine((t) => t.suggestions.length === 0 || t.selectionBehavior !== undefined, {
    message: 'selectionBehavior is required when a card has suggestions (CDS Hooks 2.0 §Card attributes)',
    path: ['selectionBehavior'],
  });

export type CardTemplate = z.infer<typeof cardTemplateSchema>;
export type ActionTemplate = z.infer<typeof actionTemplate>;
export type MedicationRequestTemplate = z.infer<typeof medicationRequestTemplate>;
export type ServiceRequestTemplate = z.infer<typeof serviceRequestTemplate>;
export type Conditional<T> = T | Array<{ when?: string | undefined; unless?: string | undefined; value: T }>;
export type Coding = z.infer<typeof coding>;
export { coding as codingSchema };
