/**
 * The CDS Hooks 2.0.1 service response as loopcds sends it (CDS Hooks 2.0 §CDS Service Response,
 * https://cds-hooks.hl7.org/2.0/#cds-service-response; text read from tag v2.0.1 of github.com/HL7/cds-hooks).
 *
 * Where the spec leaves an element OPTIONAL but loopcds always sends it (card and suggestion `uuid`, which
 * feedback refers back to), the type makes it required. Where the spec states a rule between elements
 * (`selectionBehavior` with `suggestions`, `resource`/`resourceId` by action type, `appContext` only on
 * smart links), the type encodes it. test/support/cds-hooks-response-validator.ts checks the same rules on
 * the wire.
 */

/** §Card Attributes `indicator`, in order of increasing urgency. */
export type Indicator = 'info' | 'warning' | 'critical';

/**
 * §Card Attributes `selectionBehavior`: `at-most-one` (none or one suggestion) or `any` (any number).
 * "CDS Clients that do not understand the value MUST treat the card as an error."
 */
export type SelectionBehavior = 'at-most-one' | 'any';

/** §Coding: a trimmed-down FHIR Coding; `code` and `system` REQUIRED, `display` CONDITIONAL. */
export interface Coding {
  system: string;
  code: string;
  display?: string;
}

/**
 * §Card Attributes `overrideReasons` and §Reasons for rejecting a card: "If override reasons are present, the CDS
 * Service MUST populate a `display` value for each reason's Coding."
 */
export interface OverrideReason extends Coding {
  display: string;
}

/** §Source. `url` and `icon` are absolute URLs; `topic.display` is OPTIONAL (§Coding). */
export interface Source {
  label: string;
  url?: string;
  icon?: string;
  topic?: Coding;
}

/** A FHIR resource carried in an action: at least its `resourceType`. */
export interface ActionResource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}

export type ActionType = 'create' | 'update' | 'delete';

/** §Action, `create`: "the `resource` attribute SHALL contain a new FHIR resource to be created". */
export interface CreateAction {
  type: 'create';
  description: string;
  resource: ActionResource;
  resourceId?: string;
}

/** §Action, `update`: `resource` "holds the updated resource in its entirety and not just the changed fields". */
export interface UpdateAction {
  type: 'update';
  description: string;
  resource: ActionResource;
  resourceId?: string;
}

/**
 * §Action, `delete`: `resourceId` is "A relative reference to the relevant resource" (e.g.
 * `MedicationRequest/123`). The spec says it SHOULD be provided and deprecates a FHIR id string in `resource`
 * for deletes; loopcds always sends `resourceId` and never `resource`.
 */
export interface DeleteAction {
  type: 'delete';
  description: string;
  resourceId: string;
}

/** §Action. `description` is REQUIRED in the 2.0.1 table (its systemAction example omits it; we follow the table). */
export type Action = CreateAction | UpdateAction | DeleteAction;

/** §Suggestion. `uuid` is OPTIONAL in the spec; loopcds always sends it so that feedback can name the suggestion. */
export interface Suggestion {
  label: string;
  uuid: string;
  /** "Multiple suggestions MAY be recommended, if `card.selectionBehavior` is `any`." */
  isRecommended?: boolean;
  /** Logically AND'd: selecting the suggestion selects every action. */
  actions?: Action[];
}

interface LinkBase {
  label: string;
  url: string;
  /** A hint to launch the link without showing the card (new in 2.0). */
  autolaunchable?: boolean;
}

/** §Link with `type: 'absolute'`: `appContext` "is not valid for absolute links". */
export interface AbsoluteLink extends LinkBase {
  type: 'absolute';
}

/** §Link with `type: 'smart'`: a SMART launch URL, optionally with `appContext` for the launched app. */
export interface SmartLink extends LinkBase {
  type: 'smart';
  appContext?: string;
}

export type Link = AbsoluteLink | SmartLink;

/** §Extensions: the reserved member `extension` is a JSON object, its keys in reverse-domain notation. */
export type Extension = Record<string, unknown>;

interface CardBase {
  /** OPTIONAL in the spec; loopcds always sends a UUID, which feedback refers to. */
  uuid: string;
  /** "One-sentence, <140-character summary": at most 139 characters. */
  summary: string;
  /** GitHub Flavored Markdown. */
  detail?: string;
  indicator: Indicator;
  source: Source;
  overrideReasons?: OverrideReason[];
  links?: Link[];
  extension?: Extension;
}

/** "If suggestions are present, `selectionBehavior` MUST also be provided." */
interface CardWithSuggestions {
  suggestions: Suggestion[];
  selectionBehavior: SelectionBehavior;
}

interface CardWithoutSuggestions {
  suggestions?: never;
  selectionBehavior?: never;
}

/** §Card Attributes. */
export type Card = CardBase & (CardWithSuggestions | CardWithoutSuggestions);

/** §HTTP Response: `cards` REQUIRED (an empty array when there is no guidance); `systemActions` OPTIONAL. */
export interface CdsServiceResponse {
  cards: Card[];
  systemActions?: Action[];
  extension?: Extension;
}
