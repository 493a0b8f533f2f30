import { randomUUID } from 'node:crypto';
import Mustache from 'mustache';
import type { ExpressionResults } from '../engine/cql-evaluator.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import type { Action, ActionResource, Card, Link, Suggestion } from './card.js';
import type {
  CardTemplate,
  Coding,
  Conditional,
  MedicationRequestTemplate,
  ServiceRequestTemplate,
} from './card-template.js';

/** CDS Hooks 2.0 §Card attributes: summary "SHOULD be less than 140 characters". */
export const SUMMARY_MAX_LENGTH = 139;

/** What a card is rendered from: one artefact release's results for one hook call. */
export interface CardRenderInput {
  templates: readonly CardTemplate[];
  /** `id@version` of the release, carried in each card's extension. */
  release: { id: string; version: string; hash: string };
  source: { label: string; url: string; topic: Coding };
  results: ExpressionResults;
  hook: string;
  context: { patientId: string; userId?: string | undefined; encounterId?: string | undefined };
  /** The evaluation date-time (ISO 8601 with offset). */
  now: string;
  valueSets: ValueSetIndex;
  defaultOverrideReasons: readonly Coding[];
}

/** Raised when a template cannot be rendered (a bad template is a failing rule, not a failing call). */
export class CardTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CardTemplateError';
  }
}

/**
 * Markdown-safe escaping of values substituted into templates: patient data (drug names typed by a
 * prescriber, say) must not turn into links, emphasis or HTML in the EHR's card.
 */
function escapeMarkdown(value: unknown): string {
  return String(value).replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

function plainText(value: unknown): string {
  return String(value);
}

function isTrue(results: ExpressionResults, name: string): boolean {
  if (!(name in results))
    throw new CardTemplateError(`The template names an expression the library does not define: "${name}"`);
  const value = results[name];
  return value === true || (Array.isArray(value) && value.length > 0);
}

function choose<T>(value: Conditional<T>, results: ExpressionResults): T | undefined {
  if (!Array.isArray(value)) return value;
  for (const option of value as Array<{ when?: string; unless?: string; value: T }>) {
    if (option.when !== undefined && !isTrue(results, option.when)) continue;
    if (option.unless !== undefined && isTrue(results, option.unless)) continue;
    return option.value;
  }
  return undefined;
}

/** Renders the cards of every template whose `when` expression is true. */
export function renderCards(input: CardRenderInput): Card[] {
  const view = {
    ...input.results,
    context: input.context,
    release: input.release,
    now: input.now,
    today: input.now.slice(0, 10),
  };
  const render = (template: string, escape: (v: unknown) => string = plainText) =>
    Mustache.render(template, view, {}, { escape }).trim();
  const cards: Card[] = [];
  for (const template of input.templates) {
    if (!isTrue(input.results, template.when)) continue;
    const indicator = choose(template.indicator, input.results);
    const summaryTemplate = choose(template.summary, input.results);
    const detailTemplate = choose(template.detail, input.results);
    if (indicator === undefined || summaryTemplate === undefined || detailTemplate === undefined) {
      throw new CardTemplateError(`Card "${template.id}": no indicator, summary or detail applies`);
    }
    const summary = truncate(render(summaryTemplate).replace(/\s+/g, ' '));
    const suggestions = template.suggestions
      .filter((s) => s.when === undefined || isTrue(input.results, s.when))
      .map((s): Suggestion => {
        const actions = s.actions.flatMap((a): Action[] => {
          switch (a.type) {
            case 'create':
              return [
                {
                  type: 'create',
                  description: render(a.description),
                  resource:
                    a.resource.resourceType === 'MedicationRequest'
                      ? medicationRequest(a.resource, input)
                      : serviceRequest(a.resource, input, render),
                },
              ];
            case 'delete':
              return targets(input.results, a.forEach).map((t) => ({
                type: 'delete',
                description: Mustache.render(
                  a.description,
                  { ...view, ...t },
                  {},
                  { escape: plainText },
                ).trim(),
                resourceId: `${t.resourceType}/${t.id}`,
              }));
          }
        });
        return {
          label: render(s.label),
          uuid: randomUUID(),
          ...(s.isRecommended === undefined ? {} : { isRecommended: s.isRecommended }),
          actions,
        };
      })
      .filter((s) => (s.actions ?? []).length > 0);
    const links: Link[] = template.links.map((l) => ({ label: l.label, url: l.url, type: l.type }));
    cards.push({
      uuid: randomUUID(),
      summary,
      indicator,
      detail: render(detailTemplate, escapeMarkdown),
      source: { label: input.source.label, url: input.source.url, topic: input.source.topic },
      ...(suggestions.length > 0
        ? { suggestions, selectionBehavior: template.selectionBehavior ?? 'at-most-one' }
        : {}),
      overrideReasons: [...(template.overrideReasons ?? input.defaultOverrideReasons)],
      ...(links.length > 0 ? { links } : {}),
      extension: {
        'org.loopcds.release': `${input.release.id}@${input.release.version}`,
        'org.loopcds.release-hash': input.release.hash,
        'org.loopcds.card-template': template.id,
      },
    });
  }
  return cards;
}

function truncate(summary: string): string {
  return summary.length <= SUMMARY_MAX_LENGTH
    ? summary
    : `${summary.slice(0, SUMMARY_MAX_LENGTH - 1).trimEnd()}…`;
}

function targets(results: ExpressionResults, name: string): Array<{ resourceType: string; id: string }> {
  const value = results[name];
  if (!Array.isArray(value))
    throw new CardTemplateError(`"${name}" must be a list of tuples with resourceType and id`);
  return value.filter(
    (t): t is { resourceType: string; id: string } =>
      typeof t === 'object' &&
      t !== null &&
      typeof (t as { id?: unknown }).id === 'string' &&
      typeof (t as { resourceType?: unknown }).resourceType === 'string',
  );
}

/** A ServiceRequest draft for a test, coded from a value set by display term. */
function serviceRequest(
  t: ServiceRequestTemplate,
  input: CardRenderInput,
  render: (s: string) => string,
): ActionResource {
  const coding = input.valueSets.codingByDisplay(t.code.valueSet, t.code.display);
  if (coding === undefined)
    throw new CardTemplateError(`"${t.code.display}" is not in the value set ${t.code.valueSet}`);
  const { userId, encounterId, patientId } = input.context;
  return {
    resourceType: 'ServiceRequest',
    id: randomUUID(),
    status: 'draft',
    intent: 'order',
    ...(t.category === undefined ? {} : { category: [{ coding: [t.category], text: t.category.display }] }),
    code: { coding: [coding], text: coding.display },
    subject: { reference: `Patient/${patientId}` },
    ...(encounterId === undefined ? {} : { encounter: { reference: `Encounter/${encounterId}` } }),
    authoredOn: input.now,
    ...(userId !== undefined && /^(Practitioner|PractitionerRole)\//.test(userId)
      ? { requester: { reference: userId } }
      : {}),
    reasonCode: [{ text: render(t.reason) }],
    ...(t.note === undefined ? {} : { note: [{ text: render(t.note) }] }),
  };
}

/** A complete, ready-to-sign MedicationRequest draft: dm+d coded, dose, timing, route, supply. */
function medicationRequest(t: MedicationRequestTemplate, input: CardRenderInput): ActionResource {
  const coding = input.valueSets.codingByDisplay(t.medication.valueSet, t.medication.display);
  if (coding === undefined) {
    throw new CardTemplateError(`"${t.medication.display}" is not in the value set ${t.medication.valueSet}`);
  }
  const { userId, encounterId, patientId } = input.context;
  const requester =
    userId !== undefined && /^(Practitioner|PractitionerRole)\//.test(userId)
      ? { requester: { reference: userId } }
      : {};
  return {
    resourceType: 'MedicationRequest',
    id: randomUUID(),
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: { coding: [coding], text: coding.display },
    subject: { reference: `Patient/${patientId}` },
    ...(encounterId === undefined ? {} : { encounter: { reference: `Encounter/${encounterId}` } }),
    authoredOn: input.now,
    ...requester,
    reasonCode: [{ text: t.reason }],
    dosageInstruction: [
      {
        text: t.dosageText,
        timing: {
          repeat: { frequency: t.timing.frequency, period: t.timing.period, periodUnit: t.timing.periodUnit },
        },
        route: { coding: [t.route], text: t.route.display },
        doseAndRate: [{ doseQuantity: { value: t.dose.value, unit: t.dose.unit } }],
      },
    ],
    dispenseRequest: {
      quantity: { value: t.supply.quantity, unit: t.supply.unit },
      expectedSupplyDuration: {
        value: t.supply.days,
        unit: 'days',
        system: 'http://unitsofmeasure.org',
        code: 'd',
      },
    },
  };
}
