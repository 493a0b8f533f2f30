import type { FhirResource } from '../engine/patient-bundle.js';
import type { ArtefactDefinition } from './artefact-definition.js';
import { libraryCanonical } from './fhir-library-export.js';
import type { ServiceDefinition } from './service-definition.js';

/** The R4 profile of a PlanDefinition implementing a CDS Hooks service. */
export const CDS_HOOKS_PLAN_PROFILE = 'http://hl7.org/fhir/StructureDefinition/cdshooksserviceplandefinition';
/** Its required extension: the service endpoint. */
export const CDS_HOOKS_ENDPOINT_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/cqf-cdsHooksEndpoint';
/** Our extension naming a shadow release (run on every call, its cards never returned). */
export const SHADOW_RELEASE_EXTENSION = 'https://loopcds.org/fhir/StructureDefinition/shadow-release';

/** What the PlanDefinition needs to know of one release the service runs. */
export interface PlannedRelease {
  ref: string;
  definition: ArtefactDefinition;
}

/**
 * A CDS service as a FHIR R4 `PlanDefinition` (type eca-rule, profile cdshooksserviceplandefinition):
 * one action per active release, triggered by the hook as a `named-event` TriggerDefinition, applicable
 * when the release's "fired" expression is true (`text/cql-identifier`, referencing its Library), with
 * its card source as documentation. `library` lists the active releases' Libraries (`url|version`);
 * shadow releases are named in an extension, since they produce no action a client would see.
 */
export function servicePlanDefinition(
  service: ServiceDefinition,
  active: readonly PlannedRelease[],
  shadow: readonly PlannedRelease[],
  endpoint: string,
): FhirResource {
  const canonical = (r: PlannedRelease) => libraryCanonical(r.definition.library.name, r.definition.version);
  return {
    resourceType: 'PlanDefinition',
    id: service.id,
    meta: { profile: [CDS_HOOKS_PLAN_PROFILE] },
    extension: [
      { url: CDS_HOOKS_ENDPOINT_EXTENSION, valueUri: endpoint },
      ...shadow.map((r) => ({ url: SHADOW_RELEASE_EXTENSION, valueCanonical: canonical(r) })),
    ],
    url: `https://loopcds.org/fhir/PlanDefinition/${service.id}`,
    // FHIR R4 PlanDefinition: a computable name matches [A-Z]([A-Za-z0-9_]){0,254}.
    name: service.id
      .split(/[^A-Za-z0-9]+/)
      .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
      .join(''),
    title: service.title,
    type: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/plan-definition-type', code: 'eca-rule' }],
    },
    status: 'active',
    description: service.description,
    ...(service.usageRequirements === undefined ? {} : { usage: service.usageRequirements }),
    library: active.map(canonical),
    action: active.map((r) => ({
      id: r.definition.id,
      title: r.definition.title,
      description: r.definition.description,
      documentation: [
        { type: 'documentation', display: r.definition.cardSource.label, url: r.definition.cardSource.url },
      ],
      trigger: [{ type: 'named-event', name: service.hook }],
      condition: [
        {
          kind: 'applicability',
          expression: {
            language: 'text/cql-identifier',
            expression: r.definition.result.fired,
            reference: canonical(r),
          },
        },
      ],
    })),
  };
}
