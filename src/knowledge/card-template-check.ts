import Mustache from 'mustache';
import { SUMMARY_MAX_LENGTH } from '../cards/card-renderer.js';
import type { CardTemplate, Conditional } from '../cards/card-template.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import { error, warning, type ValidationFinding } from './validation-finding.js';

/** Names a template may use besides the library's expressions (card-renderer.ts builds the view). */
const VIEW_NAMES = new Set(['context', 'release', 'now', 'today']);

type MustacheToken = [string, string, number, number, MustacheToken[]?, number?];

/**
 * Static checks of an artefact's card templates against its library (the schema has already checked
 * required fields and that a card with suggestions has a selectionBehavior):
 * - every expression a template names (`when`, `unless`, `forEach`, Mustache variables outside sections)
 *   is defined by the library, since a missing one is a card template error at run time;
 * - every situational value has a fallback, or the card can come out with no summary;
 * - the summary's fixed text alone fits CDS Hooks' "less than 140 characters" (longer ones are cut);
 * - every code a suggestion orders is found, by its display term, in the value set it names.
 */
export function checkCardTemplates(
  templates: readonly CardTemplate[],
  expressions: ReadonlySet<string>,
  valueSets: ValueSetIndex,
  where: string,
  library = 'the library',
): ValidationFinding[] {
  const findings: ValidationFinding[] = [];
  const expression = (name: string | undefined, at: string) => {
    if (name !== undefined && !expressions.has(name))
      findings.push(error(where, `${at} names "${name}", which ${library} does not define`));
  };
  const text = (template: string, at: string) => {
    let tokens: MustacheToken[];
    try {
      tokens = Mustache.parse(template) as MustacheToken[];
    } catch (e) {
      findings.push(error(where, `${at} is not a valid Mustache template: ${(e as Error).message}`));
      return;
    }
    for (const [type, value] of tokens) {
      if (type !== 'name' && type !== '&' && type !== '#' && type !== '^') continue;
      const head = value.split('.')[0] ?? value;
      if (!VIEW_NAMES.has(head) && value !== '.') expression(expressions.has(value) ? value : head, at);
    }
  };
  const conditional = <T>(value: Conditional<T>, at: string, each: (v: T, at: string) => void) => {
    if (!Array.isArray(value)) {
      each(value, at);
      return;
    }
    const options = value as Array<{ when?: string; unless?: string; value: T }>;
    options.forEach((o, i) => {
      expression(o.when, `${at}[${i}].when`);
      expression(o.unless, `${at}[${i}].unless`);
      each(o.value, `${at}[${i}]`);
    });
    if (options.every((o) => o.when !== undefined || o.unless !== undefined))
      findings.push(
        warning(where, `${at} has no option without a condition: the card fails when none applies`),
      );
  };

  templates.forEach((t, c) => {
    const at = `cards[${c}] (${t.id})`;
    expression(t.when, `${at}.when`);
    conditional(t.indicator, `${at}.indicator`, () => undefined);
    conditional(t.summary, `${at}.summary`, (summary, here) => {
      text(summary, here);
      const fixed = summary
        .replace(/\{\{[^}]*\}\}\}?/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      if (fixed.length > SUMMARY_MAX_LENGTH)
        findings.push(
          error(
            where,
            `${here}: the summary's fixed text is ${fixed.length} characters; CDS Hooks asks for fewer than 140`,
          ),
        );
    });
    conditional(t.detail, `${at}.detail`, text);
    t.suggestions.forEach((s, i) => {
      const sat = `${at}.suggestions[${i}] (${s.id})`;
      expression(s.when, `${sat}.when`);
      text(s.label, `${sat}.label`);
      s.actions.forEach((a, j) => {
        const aat = `${sat}.actions[${j}]`;
        if (a.type === 'delete') {
          expression(a.forEach, `${aat}.forEach`);
          return;
        }
        text(a.description, `${aat}.description`);
        const coded =
          a.resource.resourceType === 'MedicationRequest' ? a.resource.medication : a.resource.code;
        if (!valueSets.has(coded.valueSet))
          findings.push(
            error(where, `${aat} orders from value set ${coded.valueSet}, which is not available`),
          );
        else if (valueSets.codingByDisplay(coded.valueSet, coded.display) === undefined)
          findings.push(
            error(where, `${aat}: no code with the display term "${coded.display}" in ${coded.valueSet}`),
          );
      });
    });
  });
  return findings;
}
