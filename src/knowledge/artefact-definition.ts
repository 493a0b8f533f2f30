import { z } from 'zod';
import { cardTemplateSchema } from '../cards/card-template.js';

/** A CQL parameter value: number, string, boolean, or a quantity such as `{ "value": 1, "unit": "hour" }`. */
export const parameterValueSchema = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.object({ value: z.number(), unit: z.string().min(1) }).strict(),
]);

/**
 * The metadata of a knowledge artefact (`knowledge/<id>/artefact.json`): what it is, where its clinical
 * content comes from, how its CQL results are read, and its cards. design.md §4 "A knowledge artefact".
 */
export const artefactDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
    version: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a semantic version'),
    status: z.enum(['draft', 'active', 'retired']),
    title: z.string().min(1).max(200),
    description: z.string().min(1),
    owner: z.string().min(1),
    authors: z.array(z.string().min(1)).min(1),
    /** The CQL library this artefact evaluates: its `library X version 'v'` must match. */
    library: z.object({ name: z.string().min(1), file: z.string().min(1) }).strict(),
    sources: z
      .array(
        z.object({ label: z.string().min(1), url: z.url(), citation: z.string().min(1).optional() }).strict(),
      )
      .min(1),
    /** Values for the library's parameters (a service may override them); absent ones keep the CQL default. */
    parameters: z.record(z.string().min(1), parameterValueSchema).default({}),
    /** How the results are read: which expression says the rule fired, which lists missing data. */
    result: z
      .object({
        fired: z.string().min(1),
        /** A list of strings naming data that is missing; non-empty without a firing means "incomplete". */
        missingData: z.string().min(1).optional(),
      })
      .strict(),
    /**
     * What the library reads (FHIR DataRequirement: type and code filter). Resources outside these are
     * removed before evaluation; a test per artefact checks the results do not change.
     */
    dataRequirements: z
      .array(
        z
          .object({
            type: z.string().regex(/^[A-Z][A-Za-z]+$/),
            codeFilter: z
              .object({ path: z.string().min(1), valueSets: z.array(z.url()).min(1) })
              .strict()
              .optional(),
            dateFilter: z
              .object({ path: z.string().min(1), withinMonths: z.number().int().positive().max(1200) })
              .strict()
              .optional(),
          })
          .strict(),
      )
      .min(1),
    /**
     * Resources without which the artefact cannot fire (same shape as dataRequirements). When a patient
     * has none of them, the result is "not fired" without evaluating the CQL: most patients hold none of
     * the drugs most indicators are about, and this is where hook and population speed comes from.
     * test/knowledge checks, case by case, that skipping never changes a result.
     */
    triggers: z
      .array(
        z
          .object({
            type: z.string().regex(/^[A-Z][A-Za-z]+$/),
            codeFilter: z
              .object({ path: z.string().min(1), valueSets: z.array(z.url()).min(1) })
              .strict()
              .optional(),
          })
          .strict(),
      )
      .optional(),
    /** Link to the guidance the cards cite in their `source`. */
    cardSource: z.object({ label: z.string().min(1).max(200), url: z.url() }).strict(),
    cards: z.array(cardTemplateSchema).min(1),
    changelog: z
      .array(
        z
          .object({
            version: z.string().min(1),
            date: z.iso.date(),
            changes: z.array(z.string().min(1)).min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type ArtefactDefinition = z.infer<typeof artefactDefinitionSchema>;
