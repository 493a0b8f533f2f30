import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundledFhirHelpersFile, displayPath, libraryKey, parseLibraryHeader } from './cql-source.js';

describe('parseLibraryHeader', () => {
  it('reads the library identifier, its line and its includes', () => {
    const header = parseLibraryHeader(
      [
        "/* A header comment that mentions library Fake version '0' */",
        'library "PINCER A" version \'1.2.0\'',
        "using FHIR version '4.0.1'",
        "include FHIRHelpers version '4.0.1' called FHIRHelpers",
        'include Common called C',
      ].join('\n'),
    );
    expect(header).toEqual({
      id: 'PINCER A',
      version: '1.2.0',
      line: 2,
      includes: [
        { id: 'FHIRHelpers', version: '4.0.1' },
        { id: 'Common', version: null },
      ],
    });
  });

  it('ignores declarations inside comments and string literals', () => {
    const header = parseLibraryHeader(
      [
        "// include Ghost version '1'",
        "library Real version '1'",
        "define X: '\\nlibrary Nope version \\'2\\''",
        '/*',
        "include Ghost2 version '1'",
        '*/',
      ].join('\n'),
    );
    expect(header).toMatchObject({ id: 'Real', version: '1', line: 2, includes: [] });
  });

  it('returns undefined for a file that declares no library', () => {
    expect(parseLibraryHeader('define X: 1\n')).toBeUndefined();
  });
});

describe('libraryKey', () => {
  it('joins name and version with a bar, leaving the version empty when there is none', () => {
    expect(libraryKey({ id: 'FHIRHelpers', version: '4.0.1' })).toBe('FHIRHelpers|4.0.1');
    expect(libraryKey({ id: 'Common', version: null })).toBe('Common|');
  });
});

describe('displayPath', () => {
  it('shows a file relative to the base folder, and absolute when it lies outside it', () => {
    expect(displayPath('/repo/knowledge/a/A.cql', '/repo')).toBe('knowledge/a/A.cql');
    expect(displayPath('/elsewhere/A.cql', '/repo')).toBe('/elsewhere/A.cql');
  });
});

describe('bundledFhirHelpersFile', () => {
  it('finds our FHIRHelpers in this package whatever the current directory', () => {
    expect(bundledFhirHelpersFile()).toMatch(/knowledge\/libraries\/FHIRHelpers\.cql$/);
    expect(existsSync(bundledFhirHelpersFile())).toBe(true);
  });
});
