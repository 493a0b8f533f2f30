/** The kinds of CQL token the console colours. */
export type CqlTokenType =
  | 'comment'
  | 'string'
  | 'identifier-quoted'
  | 'datetime'
  | 'number'
  | 'keyword'
  | 'type'
  | 'operator'
  | 'identifier'
  | 'space';

export interface CqlToken {
  type: CqlTokenType;
  text: string;
}

/** Reserved and contextual keywords of CQL 1.5 (the grammar's keyword rules, Appendix L of the spec). */
const KEYWORDS = new Set(
  `after all and as asc ascending before between by called case cast codesystem codesystems code concept
  collapse contains context convert day days default define desc descending difference display distinct div
  duration during else end ends except exists expand false flatten fluent from function hour hours if implies
  in include includes included intersect is let library maximum meets millisecond milliseconds minimum minute
  minutes mod month months not null occurs of on or overlaps parameter per point predecessor private properly
  public return returns same second seconds singleton sort start starts successor such than that then
  timezoneoffset to true union using valueset version week weeks when where width with within without xor
  year years less more starting ending`.split(/\s+/),
);

/** Type names of the CQL System model and its selectors. */
const TYPES = new Set(
  'Any Boolean Code Concept Date DateTime Decimal Integer Long Interval List Quantity Ratio String Time Tuple Choice ValueSet Vocabulary'.split(
    ' ',
  ),
);

const RULES: ReadonlyArray<[CqlTokenType, RegExp]> = [
  ['space', /^\s+/],
  ['comment', /^\/\/[^\n]*/],
  ['comment', /^\/\*[\s\S]*?(?:\*\/|$)/],
  ['string', /^'(?:[^'\\]|\\.)*(?:'|$)/],
  ['identifier-quoted', /^"(?:[^"\\]|\\.)*(?:"|$)/],
  ['identifier-quoted', /^`(?:[^`\\]|\\.)*(?:`|$)/],
  ['datetime', /^@T?[0-9][0-9:T.+\-Z]*/],
  ['number', /^[0-9]+(?:\.[0-9]+)?L?/],
  ['identifier', /^[A-Za-z_][A-Za-z0-9_]*/],
  ['operator', /^(?:<=|>=|!=|!~|<>|[-+*/^&|~=<>()[\]{},.:])/],
];

/** Splits CQL into tokens; the texts joined give back the source exactly. */
export function tokenizeCql(source: string): CqlToken[] {
  const tokens: CqlToken[] = [];
  let rest = source;
  while (rest.length > 0) {
    let matched = false;
    for (const [type, pattern] of RULES) {
      const m = pattern.exec(rest);
      if (m === null || m[0].length === 0) continue;
      const text = m[0];
      const kind: CqlTokenType =
        type !== 'identifier'
          ? type
          : KEYWORDS.has(text)
            ? 'keyword'
            : TYPES.has(text)
              ? 'type'
              : 'identifier';
      tokens.push({ type: kind, text });
      rest = rest.slice(text.length);
      matched = true;
      break;
    }
    if (!matched) {
      tokens.push({ type: 'operator', text: rest[0] ?? '' });
      rest = rest.slice(1);
    }
  }
  return tokens;
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * CQL as HTML: one `<span class="cql-…">` per coloured token, every text escaped, so that the result can be
 * put in a `<code>` element as markup without any of the source becoming markup itself.
 */
export function highlightCql(source: string): string {
  return tokenizeCql(source)
    .map((t) =>
      t.type === 'space' || t.type === 'identifier' || t.type === 'operator'
        ? escapeHtml(t.text)
        : `<span class="cql-${t.type}">${escapeHtml(t.text)}</span>`,
    )
    .join('');
}
