import { describe, expect, it } from 'vitest';
import { cardTemplateSchema } from '../cards/card-template.js';
import { ValueSetIndex } from '../engine/value-set-index.js';
import { checkCardTemplates } from './card-template-check.js';

const valueSets = new ValueSetIndex([
  {
    url: 'https://loopcds.org/fhir/ValueSet/ppi',
    expansion: {
      contains: [
        { system: 'http://snomed.info/sct', code: '317335005', display: 'Omeprazole 20mg capsules' },
      ],
    },
  },
]);

function template(overrides: Record<string, unknown>) {
  return cardTemplateSchema.parse({
    id: 'c',
    when: 'Hazard',
    indicator: 'warning',
    summary: 'NSAID aged {{Age}}',
    detail: '{{#Evidence}}- {{drug}}{{/Evidence}} seen {{today}} for {{context.patientId}}',
    ...overrides,
  });
}

describe('checkCardTemplates', () => {
  const expressions = new Set(['Hazard', 'Age', 'Evidence', 'Draft Orders']);

  it('accepts a template whose every name is defined, and names inside sections as the section items', () => {
    expect(checkCardTemplates([template({})], expressions, valueSets, 'a.json', 'Lib')).toEqual([]);
  });

  it('names every expression the library does not define, wherever the template uses it', () => {
    const findings = checkCardTemplates(
      [
        template({
          when: 'Hazzard',
          summary: [{ when: 'From Draft', value: 'x {{Agee}}' }],
          suggestions: [
            { id: 's', label: 'Cancel', actions: [{ type: 'delete', description: 'd', forEach: 'Drafts' }] },
          ],
          selectionBehavior: 'any',
        }),
      ],
      expressions,
      valueSets,
      'a.json',
      'Lib',
    );
    expect(findings.map((f) => f.message)).toEqual([
      'cards[0] (c).when names "Hazzard", which Lib does not define',
      'cards[0] (c).summary[0].when names "From Draft", which Lib does not define',
      'cards[0] (c).summary[0] names "Agee", which Lib does not define',
      'cards[0] (c).summary has no option without a condition: the card fails when none applies',
      'cards[0] (c).suggestions[0] (s).actions[0].forEach names "Drafts", which Lib does not define',
    ]);
    expect(findings.map((f) => f.severity)).toEqual(['error', 'error', 'error', 'warning', 'error']);
  });

  it('refuses a summary whose fixed text alone is 140 characters or more, and a code not in its value set', () => {
    const findings = checkCardTemplates(
      [
        template({
          summary: `${'a'.repeat(140)} {{Age}}`,
          suggestions: [
            {
              id: 'add',
              label: 'Add',
              actions: [
                {
                  type: 'create',
                  description: 'add',
                  resource: {
                    resourceType: 'ServiceRequest',
                    code: {
                      valueSet: 'https://loopcds.org/fhir/ValueSet/ppi',
                      display: 'Omeprazole 40mg capsules',
                    },
                    reason: 'r',
                  },
                },
              ],
            },
          ],
          selectionBehavior: 'at-most-one',
        }),
      ],
      expressions,
      valueSets,
      'a.json',
    );
    expect(findings.map((f) => f.message)).toEqual([
      "cards[0] (c).summary: the summary's fixed text is 140 characters; CDS Hooks asks for fewer than 140",
      'cards[0] (c).suggestions[0] (add).actions[0]: no code with the display term "Omeprazole 40mg capsules" in https://loopcds.org/fhir/ValueSet/ppi',
    ]);
  });
});
