import { describe, expect, it } from 'vitest';
import { ValueSetIndex } from '../engine/value-set-index.js';
import { cardTemplateSchema, type CardTemplate } from './card-template.js';
import { CardTemplateError, renderCards, SUMMARY_MAX_LENGTH, type CardRenderInput } from './card-renderer.js';

const SCT = 'http://snomed.info/sct';
const valueSets = new ValueSetIndex([
  {
    url: 'https://example.org/vs/ppi',
    expansion: {
      contains: [{ system: SCT, code: '317291008', display: 'Omeprazole 20mg gastro-resistant capsules' }],
    },
  },
]);

function template(overrides: Record<string, unknown> = {}): CardTemplate {
  return cardTemplateSchema.parse({
    id: 'hazard',
    when: 'Hazard',
    indicator: [{ when: 'From Draft', value: 'warning' }, { value: 'info' }],
    summary: '{{Drug}} for a {{Age}}-year-old',
    detail: 'Drug: {{Drug}}',
    ...overrides,
  });
}

function input(results: Record<string, unknown>, templates: CardTemplate[] = [template()]): CardRenderInput {
  return {
    templates,
    release: { id: 'x', version: '1.0.0', hash: 'abc' },
    source: {
      label: 'Source',
      url: 'https://example.org',
      topic: { system: 'https://loopcds.org/t', code: 'x', display: 'X' },
    },
    results,
    hook: 'order-sign',
    context: { patientId: 'p1', userId: 'Practitioner/u1' },
    now: '2026-06-15T10:00:00.000+01:00',
    valueSets,
    defaultOverrideReasons: [{ system: 'https://example.org/r', code: 'r1', display: 'Reason one' }],
  };
}

describe('renderCards', () => {
  it('renders nothing when the card expression is false', () => {
    expect(renderCards(input({ Hazard: false, 'From Draft': false, Drug: 'x', Age: 70 }))).toEqual([]);
  });

  it('picks the first conditional value whose expression is true', () => {
    const [warning] = renderCards(input({ Hazard: true, 'From Draft': true, Drug: 'Ibuprofen', Age: 70 }));
    const [info] = renderCards(input({ Hazard: true, 'From Draft': false, Drug: 'Ibuprofen', Age: 70 }));
    expect(warning!.indicator).toBe('warning');
    expect(info!.indicator).toBe('info');
  });

  it('gives every card a uuid, the release in its extension and the default override reasons', () => {
    const [card] = renderCards(input({ Hazard: true, 'From Draft': false, Drug: 'Ibuprofen', Age: 70 }));
    expect(card!.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card!.extension).toMatchObject({ 'org.loopcds.release': 'x@1.0.0' });
    expect(card!.overrideReasons).toEqual([
      { system: 'https://example.org/r', code: 'r1', display: 'Reason one' },
    ]);
  });

  it('shortens a summary that would reach 140 characters', () => {
    const [card] = renderCards(input({ Hazard: true, 'From Draft': false, Drug: 'D'.repeat(200), Age: 70 }));
    expect(card!.summary.length).toBe(SUMMARY_MAX_LENGTH);
    expect(card!.summary.endsWith('…')).toBe(true);
  });

  it('escapes Markdown in values so patient data cannot inject links or HTML', () => {
    const [card] = renderCards(
      input({ Hazard: true, 'From Draft': false, Drug: '[click](http://evil) <b>', Age: 70 }),
    );
    expect(card!.detail).toBe('Drug: \\[click\\](http://evil) \\<b\\>');
  });

  it('builds a create action with the code taken from the value set by display term', () => {
    const t = template({
      suggestions: [
        {
          id: 'add',
          label: 'Add omeprazole',
          actions: [
            {
              type: 'create',
              description: 'Add it',
              resource: {
                resourceType: 'MedicationRequest',
                medication: {
                  valueSet: 'https://example.org/vs/ppi',
                  display: 'Omeprazole 20mg gastro-resistant capsules',
                },
                dosageText: 'One daily',
                dose: { value: 1, unit: 'capsule' },
                timing: { frequency: 1, period: 1, periodUnit: 'd' },
                route: { system: SCT, code: '26643006', display: 'Oral route' },
                supply: { quantity: 28, unit: 'capsule', days: 28 },
                reason: 'Gastroprotection',
              },
            },
          ],
        },
      ],
      selectionBehavior: 'at-most-one',
    });
    const [card] = renderCards(input({ Hazard: true, 'From Draft': false, Drug: 'x', Age: 70 }, [t]));
    const action = card!.suggestions![0]!.actions![0]!;
    expect(action.type).toBe('create');
    expect(action.type === 'create' && action.resource['medicationCodeableConcept']).toEqual({
      coding: [{ system: SCT, code: '317291008', display: 'Omeprazole 20mg gastro-resistant capsules' }],
      text: 'Omeprazole 20mg gastro-resistant capsules',
    });
    expect(action.type === 'create' && action.resource['requester']).toEqual({
      reference: 'Practitioner/u1',
    });
  });

  it('builds one delete action per target, and drops a suggestion left with none', () => {
    const t = template({
      suggestions: [
        {
          id: 'cancel',
          label: 'Cancel',
          actions: [{ type: 'delete', description: 'Cancel {{drug}}', forEach: 'Targets' }],
        },
      ],
      selectionBehavior: 'any',
    });
    const results = { Hazard: true, 'From Draft': false, Drug: 'x', Age: 70 };
    const [two] = renderCards(
      input(
        {
          ...results,
          Targets: [
            { resourceType: 'MedicationRequest', id: 'a', drug: 'A' },
            { resourceType: 'MedicationRequest', id: 'b', drug: 'B' },
          ],
        },
        [t],
      ),
    );
    expect(two!.suggestions![0]!.actions).toEqual([
      { type: 'delete', description: 'Cancel A', resourceId: 'MedicationRequest/a' },
      { type: 'delete', description: 'Cancel B', resourceId: 'MedicationRequest/b' },
    ]);
    const [none] = renderCards(input({ ...results, Targets: [] }, [t]));
    expect(none!.suggestions).toBeUndefined();
    expect(none!.selectionBehavior).toBeUndefined();
  });

  it('fails with a CardTemplateError when a medication is not in its value set', () => {
    const t = template({
      suggestions: [
        {
          id: 'add',
          label: 'Add',
          actions: [
            {
              type: 'create',
              description: 'Add',
              resource: {
                resourceType: 'MedicationRequest',
                medication: { valueSet: 'https://example.org/vs/ppi', display: 'Not a drug' },
                dosageText: 'x',
                dose: { value: 1, unit: 'capsule' },
                timing: { frequency: 1, period: 1, periodUnit: 'd' },
                route: { system: SCT, code: '26643006', display: 'Oral route' },
                supply: { quantity: 28, unit: 'capsule', days: 28 },
                reason: 'x',
              },
            },
          ],
        },
      ],
      selectionBehavior: 'at-most-one',
    });
    expect(() => renderCards(input({ Hazard: true, 'From Draft': false, Drug: 'x', Age: 70 }, [t]))).toThrow(
      CardTemplateError,
    );
  });

  it('fails with a CardTemplateError when a template names an expression the library lacks', () => {
    expect(() => renderCards(input({ Hazard: true, Drug: 'x', Age: 70 }))).toThrow(/From Draft/);
  });

  it('rejects a template with suggestions but no selectionBehavior', () => {
    const parsed = cardTemplateSchema.safeParse({
      id: 'x',
      when: 'H',
      indicator: 'info',
      summary: 's',
      detail: 'd',
      suggestions: [{ id: 'c', label: 'C', actions: [{ type: 'delete', description: 'd', forEach: 'T' }] }],
    });
    expect(parsed.success).toBe(false);
  });
});
