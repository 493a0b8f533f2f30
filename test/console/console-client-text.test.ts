import { describe, expect, it } from 'vitest';
import { highlightCql, tokenizeCql } from '../../console/src/cql-highlight.js';
import { csvFileName, toCsv } from '../../console/src/csv.js';
import { renderMarkdownLite } from '../../console/src/markdown-lite.js';

describe('the console CQL highlighter', () => {
  const source = `library PincerA version '1.0.0'\n// why\ndefine "Aged 65 Or Over":\n  AgeInYearsAt(@2026-01-01) >= 65 and not exists Foo`;

  it('gives back the source exactly when its tokens are joined', () => {
    expect(
      tokenizeCql(source)
        .map((t) => t.text)
        .join(''),
    ).toBe(source);
  });

  it('tells keywords, strings, quoted identifiers, dates, numbers and comments apart', () => {
    const kinds = Object.fromEntries(
      tokenizeCql(source)
        .filter((t) => t.type !== 'space')
        .map((t) => [t.text, t.type]),
    );
    expect(kinds).toMatchObject({
      library: 'keyword',
      "'1.0.0'": 'string',
      '// why': 'comment',
      '"Aged 65 Or Over"': 'identifier-quoted',
      '@2026-01-01': 'datetime',
      '65': 'number',
      exists: 'keyword',
      AgeInYearsAt: 'identifier',
    });
  });

  it('escapes markup in the source, so CQL can never inject HTML', () => {
    expect(highlightCql(`define "<img src=x onerror=alert(1)>": 1 < 2`)).not.toMatch(/<img|< 2/);
  });
});

describe('CSV downloads', () => {
  it('quotes commas, quotes and line breaks, and ends lines with CRLF (RFC 4180)', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          [1.5, null],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n1.5,\r\n');
  });

  it('defuses text that a spreadsheet would run as a formula, but not negative numbers', () => {
    expect(toCsv(['v'], [['=HYPERLINK("x")'], ['@SUM(A1)'], [-3]])).toBe(
      'v\r\n"\'=HYPERLINK(""x"")"\r\n\'@SUM(A1)\r\n-3\r\n',
    );
  });

  it('names the file after the table', () => {
    expect(csvFileName('Firing rate by week')).toBe('firing-rate-by-week.csv');
  });
});

describe('card detail Markdown', () => {
  it('renders bold, lists and https links, and escapes everything else', () => {
    expect(
      renderMarkdownLite('**Age 72**\n\n- one\n- [NICE](https://cks.nice.org.uk/x)\n\n<script>x</script>'),
    ).toBe(
      '<p><strong>Age 72</strong></p><ul><li>one</li><li><a href="https://cks.nice.org.uk/x" rel="noopener noreferrer" target="_blank">NICE</a></li></ul><p>&#60;script&#62;x&#60;/script&#62;</p>',
    );
  });

  it('leaves a javascript: link as text', () => {
    expect(renderMarkdownLite('[x](javascript:alert(1))')).not.toContain('href');
  });
});
