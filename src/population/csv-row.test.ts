import { describe, expect, it } from 'vitest';
import { csvRow } from './csv-row.js';

describe('csvRow', () => {
  it('quotes fields with commas, quotes and line breaks, and ends with CRLF', () => {
    expect(csvRow(['a', 'b,c', 'say "hi"', 'two\nlines', 3, null])).toBe(
      'a,"b,c","say ""hi""","two\nlines",3,\r\n',
    );
  });

  it('leaves negative numbers written as text alone', () => {
    expect(csvRow(['-0.035498', '-3'])).toBe('-0.035498,-3\r\n');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvRow(['=HYPERLINK("x")', '+1', '@SUM(A1)', -2])).toBe(
      `"'=HYPERLINK(""x"")",'+1,'@SUM(A1),-2\r\n`,
    );
  });
});
