/**
 * A strict checker of what loopcds sends, for tests: the CDS Hooks 2.0.1 field rules (CDS Hooks 2.0
 * §CDS Service Response, §Discovery, §Use of JSON, §Extensions; text read from tag v2.0.1 of
 * github.com/HL7/cds-hooks) plus loopcds's own promises, marked "loopcds" in the messages:
 * every card and suggestion has a UUID (feedback names them), every source has a url and a topic, and every
 * delete action names its target in `resourceId`.
 *
 * Members the spec does not define are reported: loopcds puts its own data under the reserved `extension`.
 */
import { isHookName, PREFETCH_TOKEN_FIELDS } from '../../src/http/cds-hooks-request-schema.js';

type Json = Record<string, unknown>;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RELATIVE_REFERENCE = /^[A-Z][A-Za-z]{0,63}\/[A-Za-z0-9\-.]{1,64}$/;
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{0,63}$/;
const USER_TOKENS = new Set([
  'userPractitionerId',
  'userPractitionerRoleId',
  'userPatientId',
  'userRelatedPersonId',
]);

/** Collects violations, each prefixed by the location it is about (`cards[0].source.label`). */
class Violations {
  readonly list: string[] = [];

  add(path: string, message: string): void {
    this.list.push(`${path} ${message}`);
  }

  /** §Use of JSON: absent optional members are omitted, never `null`. */
  present(obj: Json, key: string, path: string, required: boolean | string): unknown {
    const value = obj[key];
    if (value === undefined) {
      if (required !== false)
        this.add(
          `${path}.${key}`,
          typeof required === 'string' ? `is required (${required})` : 'is required',
        );
    } else if (value === null) {
      this.add(`${path}.${key}`, 'must not be null (CDS Hooks 2.0 §Use of JSON: omit an absent element)');
      return undefined;
    }
    return value;
  }

  string(obj: Json, key: string, path: string, required: boolean | string = false): string | undefined {
    const value = this.present(obj, key, path, required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      return void this.add(`${path}.${key}`, `must be a string, not ${kind(value)}`);
    if (value.trim() === '')
      return void this.add(`${path}.${key}`, 'must not be empty or blank (CDS Hooks 2.0 §Use of JSON)');
    return value;
  }

  boolean(obj: Json, key: string, path: string): void {
    const value = this.present(obj, key, path, false);
    if (value !== undefined && typeof value !== 'boolean')
      this.add(`${path}.${key}`, `must be a boolean, not ${kind(value)}`);
  }

  oneOf<T extends string>(
    obj: Json,
    key: string,
    path: string,
    allowed: readonly T[],
    required: boolean | string,
  ): T | undefined {
    const value = this.string(obj, key, path, required);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value))
      return void this.add(`${path}.${key}`, `must be one of ${allowed.join(' | ')}, not "${value}"`);
    return value as T;
  }

  url(obj: Json, key: string, path: string, required: boolean | string = false): void {
    const value = this.string(obj, key, path, required);
    if (value !== undefined && !isAbsoluteUrl(value))
      this.add(`${path}.${key}`, `must be an absolute http(s) URL, not "${value}"`);
  }

  /** An OPTIONAL array: absent, or a non-empty array (§Use of JSON: `[]` is prohibited). */
  array(
    obj: Json,
    key: string,
    path: string,
    required: boolean | string = false,
    emptyAllowed = false,
  ): unknown[] | undefined {
    const value = this.present(obj, key, path, required);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return void this.add(`${path}.${key}`, `must be an array, not ${kind(value)}`);
    if (value.length === 0 && !emptyAllowed)
      this.add(`${path}.${key}`, 'must be omitted rather than empty (CDS Hooks 2.0 §Use of JSON)');
    return value as unknown[];
  }

  object(value: unknown, path: string): Json | undefined {
    if (isObject(value)) return value;
    this.add(path, `must be a JSON object, not ${kind(value)}`);
    return undefined;
  }

  /** Reports members the spec does not define; `extension` must be a non-empty object (§Extensions). */
  members(obj: Json, path: string, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (key === 'extension') {
        if (!isObject(obj[key]) || Object.keys(obj[key]).length === 0)
          this.add(`${path}.extension`, 'must be a non-empty JSON object (CDS Hooks 2.0 §Extensions)');
      } else if (!known.includes(key)) {
        this.add(`${path}.${key}`, 'is not defined by CDS Hooks 2.0 (put custom data under "extension")');
      }
    }
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;
}

function isAbsoluteUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:';
}

function uuid(v: Violations, obj: Json, key: string, path: string, why: string): string | undefined {
  const value = v.string(obj, key, path, why);
  if (value !== undefined && !UUID.test(value))
    return void v.add(`${path}.${key}`, `must be a UUID (${why}), not "${value}"`);
  return value;
}

/** §Coding: `code` and `system` REQUIRED; `display` REQUIRED when `displayRequired` (override reasons). */
function coding(v: Violations, value: unknown, path: string, displayRequired: string | false): void {
  const c = v.object(value, path);
  if (c === undefined) return;
  v.members(c, path, ['code', 'system', 'display']);
  v.string(c, 'code', path, true);
  v.string(c, 'system', path, true);
  v.string(c, 'display', path, displayRequired);
}

/** §Action. */
function action(v: Violations, value: unknown, path: string): void {
  const a = v.object(value, path);
  if (a === undefined) return;
  v.members(a, path, ['type', 'description', 'resource', 'resourceId']);
  const type = v.oneOf(a, 'type', path, ['create', 'update', 'delete'] as const, true);
  v.string(a, 'description', path, true);
  const resourceId = v.string(
    a,
    'resourceId',
    path,
    type === 'delete' ? 'loopcds: a delete names its target; CDS Hooks 2.0 §Action says SHOULD' : false,
  );
  if (resourceId !== undefined && !RELATIVE_REFERENCE.test(resourceId))
    v.add(`${path}.resourceId`, `must be a relative reference Type/id, not "${resourceId}"`);
  if (type === 'delete') {
    if (a['resource'] !== undefined)
      v.add(
        `${path}.resource`,
        'must be absent on a delete (CDS Hooks 2.0 §Action: a FHIR id in resource is DEPRECATED; use resourceId)',
      );
    return;
  }
  if (type === undefined) return;
  const resource = v.present(
    a,
    'resource',
    path,
    `a ${type} action carries the resource (CDS Hooks 2.0 §Action)`,
  );
  if (resource === undefined) return;
  const r = v.object(resource, `${path}.resource`);
  if (r === undefined) return;
  if (typeof r['resourceType'] !== 'string' || !RESOURCE_TYPE.test(r['resourceType']))
    v.add(`${path}.resource.resourceType`, 'must be a FHIR resource type');
  if (type === 'update' && typeof r['id'] !== 'string')
    v.add(`${path}.resource.id`, 'is required: an update replaces an existing resource in its entirety');
}

/** §Link. */
function link(v: Violations, value: unknown, path: string): void {
  const l = v.object(value, path);
  if (l === undefined) return;
  v.members(l, path, ['label', 'url', 'type', 'appContext', 'autolaunchable']);
  v.string(l, 'label', path, true);
  v.url(l, 'url', path, true);
  const type = v.oneOf(l, 'type', path, ['absolute', 'smart'] as const, true);
  if (v.string(l, 'appContext', path) !== undefined && type !== 'smart')
    v.add(`${path}.appContext`, 'is only valid on a link of type "smart" (CDS Hooks 2.0 §Link)');
  v.boolean(l, 'autolaunchable', path);
}

/** §Suggestion; returns its uuid and whether it is recommended. */
function suggestion(v: Violations, value: unknown, path: string): { uuid?: string; recommended: boolean } {
  const s = v.object(value, path);
  if (s === undefined) return { recommended: false };
  v.members(s, path, ['label', 'uuid', 'isRecommended', 'actions']);
  v.string(s, 'label', path, true);
  const id = uuid(v, s, 'uuid', path, 'loopcds: feedback names accepted suggestions by uuid');
  v.boolean(s, 'isRecommended', path);
  v.array(s, 'actions', path)?.forEach((a, i) => action(v, a, `${path}.actions[${i}]`));
  return { ...(id === undefined ? {} : { uuid: id }), recommended: s['isRecommended'] === true };
}

/** §Source. */
function source(v: Violations, value: unknown, path: string): void {
  const s = v.object(value, path);
  if (s === undefined) return;
  v.members(s, path, ['label', 'url', 'icon', 'topic']);
  v.string(s, 'label', path, true);
  v.url(s, 'url', path, 'loopcds: every card links to the source of its guidance');
  v.url(s, 'icon', path);
  const topic = v.present(s, 'topic', path, 'loopcds: every card has a topic, for filtering and analytics');
  if (topic !== undefined) coding(v, topic, `${path}.topic`, false);
}

/** §Card Attributes. */
function card(v: Violations, value: unknown, path: string, uuids: Set<string>): void {
  const c = v.object(value, path);
  if (c === undefined) return;
  v.members(c, path, [
    'uuid',
    'summary',
    'detail',
    'indicator',
    'source',
    'suggestions',
    'selectionBehavior',
    'overrideReasons',
    'links',
  ]);
  const id = uuid(v, c, 'uuid', path, 'loopcds: feedback names cards by uuid');
  if (id !== undefined && uuids.has(id))
    v.add(`${path}.uuid`, `repeats ${id}: feedback could not tell the cards apart`);
  if (id !== undefined) uuids.add(id);

  const summary = v.string(c, 'summary', path, true);
  const length = summary === undefined ? 0 : [...summary].length;
  if (length >= 140)
    v.add(
      `${path}.summary`,
      `has ${length} characters; CDS Hooks 2.0 §Card Attributes requires fewer than 140`,
    );
  v.string(c, 'detail', path);
  v.oneOf(c, 'indicator', path, ['info', 'warning', 'critical'] as const, true);
  const src = v.present(c, 'source', path, true);
  if (src !== undefined) source(v, src, `${path}.source`);

  const suggestions = v
    .array(c, 'suggestions', path)
    ?.map((s, i) => suggestion(v, s, `${path}.suggestions[${i}]`));
  const behavior = v.oneOf(
    c,
    'selectionBehavior',
    path,
    ['at-most-one', 'any'] as const,
    suggestions === undefined
      ? false
      : 'CDS Hooks 2.0 §Card Attributes: MUST be provided when suggestions are present',
  );
  if (suggestions !== undefined) {
    if (behavior === 'at-most-one' && suggestions.filter((s) => s.recommended).length > 1) {
      v.add(
        `${path}.suggestions`,
        'recommends more than one suggestion, which needs selectionBehavior "any" (CDS Hooks 2.0 §Suggestion)',
      );
    }
    for (const s of suggestions) {
      if (s.uuid !== undefined && uuids.has(s.uuid))
        v.add(`${path}.suggestions`, `repeat the uuid ${s.uuid}`);
      if (s.uuid !== undefined) uuids.add(s.uuid);
    }
  }
  v.array(c, 'overrideReasons', path)?.forEach((r, i) =>
    coding(
      v,
      r,
      `${path}.overrideReasons[${i}]`,
      'CDS Hooks 2.0 §Card Attributes: override reasons MUST have a display',
    ),
  );
  v.array(c, 'links', path)?.forEach((l, i) => link(v, l, `${path}.links[${i}]`));
}

/** Checks a CDS Service response body; returns human-readable violations, empty when it is valid. */
export function validateCdsHooksResponse(body: unknown): string[] {
  const v = new Violations();
  const response = v.object(body, '(response)');
  if (response === undefined) return v.list;
  v.members(response, '(response)', ['cards', 'systemActions']);
  const uuids = new Set<string>();
  // §HTTP Response: `cards` is REQUIRED and is empty when there is no guidance.
  v.array(response, 'cards', '(response)', true, true)?.forEach((c, i) => card(v, c, `cards[${i}]`, uuids));
  v.array(response, 'systemActions', '(response)')?.forEach((a, i) => action(v, a, `systemActions[${i}]`));
  return v.list.map((violation) => violation.replace(/^\(response\)\./, ''));
}

/** §Prefetch tokens: `{{context.<field>}}` for a field the hook marks as a token, or one of the user tokens. */
function prefetchTemplate(v: Violations, template: string, path: string, hook: string | undefined): void {
  for (const [, token] of template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (token === undefined || USER_TOKENS.has(token)) continue;
    const field = /^context\.([A-Za-z][A-Za-z0-9]*)$/.exec(token)?.[1];
    if (field === undefined)
      v.add(path, `has the token {{${token}}}, which is neither context.<field> nor a user token`);
    else if (hook !== undefined && isHookName(hook) && !PREFETCH_TOKEN_FIELDS[hook].includes(field)) {
      v.add(
        path,
        `has the token {{${token}}}, but ${hook} does not offer context.${field} as a prefetch token`,
      );
    }
  }
  if (/\{\{|\}\}/.test(template.replaceAll(/\{\{[^}]*\}\}/g, ''))) v.add(path, 'has an unbalanced {{ or }}');
}

/** Checks a discovery response body (CDS Hooks 2.0 §Discovery); returns human-readable violations. */
export function validateDiscoveryResponse(body: unknown): string[] {
  const v = new Violations();
  const response = v.object(body, '(response)');
  if (response === undefined) return v.list;
  v.members(response, '(response)', ['services']);
  const seen = new Set<string>();
  // "If your CDS server hosts no CDS Services, the discovery endpoint should return … an empty array of services."
  v.array(response, 'services', '(response)', true, true)?.forEach((value, i) => {
    const path = `services[${i}]`;
    const s = v.object(value, path);
    if (s === undefined) return;
    v.members(s, path, ['hook', 'title', 'description', 'id', 'prefetch', 'usageRequirements']);
    const hook = v.string(s, 'hook', path, true);
    const id = v.string(s, 'id', path, true);
    if (id !== undefined && !/^[A-Za-z0-9._~-]+$/.test(id))
      v.add(`${path}.id`, `must be usable as one URL path segment, not "${id}"`);
    // "a CDS server can host multiple entries of CDS service with the same id for different hooks".
    const key = `${id ?? ''}\u0000${hook ?? ''}`;
    if (id !== undefined && hook !== undefined && seen.has(key))
      v.add(`${path}`, `repeats the service ${id} for ${hook}`);
    seen.add(key);
    v.string(s, 'title', path);
    v.string(s, 'description', path, true);
    v.string(s, 'usageRequirements', path);
    const prefetch = v.present(s, 'prefetch', path, false);
    if (prefetch === undefined) return;
    const templates = v.object(prefetch, `${path}.prefetch`);
    if (templates === undefined) return;
    if (Object.keys(templates).length === 0)
      v.add(`${path}.prefetch`, 'must be omitted rather than empty (CDS Hooks 2.0 §Use of JSON)');
    for (const prefetchKey of Object.keys(templates)) {
      const template = v.string(templates, prefetchKey, `${path}.prefetch`, true);
      if (template !== undefined) prefetchTemplate(v, template, `${path}.prefetch.${prefetchKey}`, hook);
    }
  });
  return v.list.map((violation) => violation.replace(/^\(response\)\./, ''));
}
