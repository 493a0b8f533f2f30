import { z } from 'zod';
import { parameterValueSchema } from './artefact-definition.js';

/** The hooks loopcds answers (design.md §4). */
export const HOOKS = [
  'patient-view',
  'order-select',
  'order-sign',
  'encounter-start',
  'appointment-book',
] as const;

const releaseRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}@\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'an artefact release, id@version');

/**
 * A CDS service (`cds-hooks/<id>.json`): its discovery entry (CDS Hooks 2.0 §Discovery) and the artefact
 * releases it runs; shadow releases run on the same calls, their cards recorded but never returned.
 */
export const serviceDefinitionSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/),
    hook: z.enum(HOOKS),
    title: z.string().min(1).max(200),
    description: z.string().min(1),
    prefetch: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.string().min(1)).default({}),
    usageRequirements: z.string().min(1).optional(),
    artefacts: z.array(releaseRef).min(1),
    shadow: z.array(releaseRef).default([]),
    /** Parameter values for this service, by artefact id: they override the artefact's own. */
    parameters: z.record(z.string().min(1), z.record(z.string().min(1), parameterValueSchema)).default({}),
  })
  .strict();

export type ServiceDefinition = z.infer<typeof serviceDefinitionSchema>;
