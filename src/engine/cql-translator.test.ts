import { beforeAll, describe, expect, it } from 'vitest';
import { diagnosticsFromElm } from './cql-diagnostic.js';
import { ElmTranslator, formatDiagnostic, type CqlSource, type Diagnostic } from './cql-translator.js';

// The translator takes 1–3 s to warm up: one instance serves every test in this file.
let translator: ElmTranslator;
beforeAll(() => {
  translator = new ElmTranslator();
});

const lines = (...l: string[]) => `${l.join('\n')}\n`;
const formatted = (diagnostics: Diagnostic[]) => diagnostics.map(formatDiagnostic);

/** Every FunctionRef in an ELM tree, as {libraryName, name}. */
function functionRefs(node: unknown, out: Array<{ libraryName?: unknown; name?: unknown }> = []) {
  if (Array.isArray(node)) for (const child of node) functionRefs(child, out);
  else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (record.type === 'FunctionRef') out.push({ libraryName: record.libraryName, name: record.name });
    for (const child of Object.values(record)) functionRefs(child, out);
  }
  return out;
}

const common: CqlSource = {
  path: 'knowledge/shared/Common.cql',
  text: lines(
    "library Common version '1.0.0'",
    "using FHIR version '4.0.1'",
    "include FHIRHelpers version '4.0.1'",
    'define function "Is Active"(M FHIR.MedicationRequest): M.status = \'active\'',
  ),
};

describe('ElmTranslator', () => {
  it('compiles a valid FHIR library that includes FHIRHelpers with no diagnostics', () => {
    const source: CqlSource = {
      path: 'knowledge/nsaid/Nsaid.cql',
      text: lines(
        "library Nsaid version '1.2.0'",
        "using FHIR version '4.0.1'",
        "include FHIRHelpers version '4.0.1' called FHIRHelpers",
        "include Common version '1.0.0' called Common",
        'context Patient',
        'define "Active Orders": [MedicationRequest] M where Common."Is Active"(M)',
        'define "High Potassium": exists ([Observation] O where O.value as Quantity > 5.5 \'mmol/L\')',
      ),
    };
    const result = translator.translate([source, common], [source.path]);

    expect(result.diagnostics).toEqual([]);
    expect(result.libraries).toHaveLength(1);
    const [library] = result.libraries;
    expect(library?.identifier).toEqual({ id: 'Nsaid', version: '1.2.0' });
    expect(library?.elm.library.statements?.def?.map((d) => d.name)).toEqual(
      expect.arrayContaining(['Patient', 'Active Orders', 'High Potassium']),
    );
    // The implicit conversion went through our FHIRHelpers.
    expect(functionRefs(library?.elm)).toContainEqual({ libraryName: 'FHIRHelpers', name: 'ToQuantity' });
  });

  it('reports a syntax error as file:line:col message', () => {
    const result = translator.translate([
      { path: 'knowledge/bad/Syntax.cql', text: lines("library Syntax version '1'", 'define X: 1 + * 2') },
    ]);
    expect(formatted(result.diagnostics)).toEqual(['knowledge/bad/Syntax.cql:2:15 Syntax error at *']);
    expect(result.diagnostics[0]?.severity).toBe('error');
  });

  it('reports a semantic error at the expression that fails to type', () => {
    const result = translator.translate([
      {
        path: 'knowledge/bad/Semantic.cql',
        text: lines("library Semantic version '1'", '', "define X: 1 + 'a'"),
      },
    ]);
    expect(formatted(result.diagnostics)).toEqual([
      'knowledge/bad/Semantic.cql:3:11 Could not resolve call to operator Add with signature (System.Integer, System.String).',
    ]);
  });

  it('reports a missing include at the include declaration', () => {
    const result = translator.translate([
      {
        path: 'knowledge/bad/Missing.cql',
        text: lines(
          "library Missing version '1'",
          "using FHIR version '4.0.1'",
          "include Nope version '9' called Nope",
          'define X: 1',
        ),
      },
    ]);
    expect(result.diagnostics).toHaveLength(1);
    expect(formatDiagnostic(result.diagnostics[0]!)).toMatch(
      /^knowledge\/bad\/Missing\.cql:3:1 Could not load source for library Nope, version 9/,
    );
  });

  it('locates an error in an included library in that library’s file', () => {
    const broken: CqlSource = {
      path: 'knowledge/shared/Broken.cql',
      text: lines("library Broken version '1.0.0'", "define function F(x Integer): x + 'a'"),
    };
    const user: CqlSource = {
      path: 'knowledge/user/User.cql',
      text: lines("library User version '1'", "include Broken version '1.0.0' called B", 'define Y: B.F(1)'),
    };
    const result = translator.translate([user, broken], [user.path]);
    expect(formatted(result.diagnostics)).toContain(
      'knowledge/shared/Broken.cql:2:31 Could not resolve call to operator Add with signature (System.Integer, System.String).',
    );
    expect(result.diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });

  it('reports warnings with warning severity', () => {
    const result = translator.translate([
      {
        path: 'knowledge/w/Warn.cql',
        text: lines("library Warn version '1'", 'define X: 1', "define Y: 'X'"),
      },
    ]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ path: 'knowledge/w/Warn.cql', line: 3, column: 11, severity: 'warning' }),
    ]);
  });

  it('reports two libraries with the same name and version', () => {
    const a = { path: 'k/a/Dup.cql', text: lines("library Dup version '1'", 'define X: 1') };
    const b = { path: 'k/b/Dup.cql', text: lines('// copy', "library Dup version '1'", 'define X: 2') };
    const result = translator.translate([a, b], [a.path]);
    expect(formatted(result.diagnostics)).toEqual([
      "k/b/Dup.cql:2:1 Library Dup version '1' is also defined in k/a/Dup.cql.",
    ]);
  });

  it('uses the new text of an included library when it changes between translations', () => {
    const user: CqlSource = {
      path: 'k/Uses.cql',
      text: lines("library Uses version '1'", "include Lib version '1' called L", 'define Y: L.F(1) + 1'),
    };
    const good = {
      path: 'k/Lib.cql',
      text: lines("library Lib version '1'", 'define function F(x Integer): x'),
    };
    const bad = {
      path: 'k/Lib.cql',
      text: lines("library Lib version '1'", "define function F(x Integer): 'text'"),
    };

    expect(translator.translate([user, good], [user.path]).diagnostics).toEqual([]);
    const changed = translator.translate([user, bad], [user.path]);
    expect(formatted(changed.diagnostics).join('\n')).toContain('k/Uses.cql:3:');
  });
});

describe('diagnosticsFromElm', () => {
  const annotation = (fields: Record<string, unknown>) => ({
    type: 'CqlToElmError',
    libraryId: 'L',
    libraryVersion: '1',
    errorSeverity: 'error',
    errorType: 'semantic',
    startLine: 4,
    startChar: 3,
    ...fields,
  });

  it('drops the translator’s noise messages and keeps the first message at each position', () => {
    const elm = {
      library: {
        annotation: [
          { type: 'CqlToElmInfo', translatorVersion: '5.3.0' },
          annotation({ message: 'Internal translator error.', startLine: 1 }),
          annotation({ message: 'Unable to find target chunk for insertion.', startLine: 2 }),
          annotation({ message: 'The cause' }),
          annotation({ message: 'A follow-on' }),
          annotation({ message: 'A warning here', errorSeverity: 'warning' }),
        ],
      },
    };
    expect(diagnosticsFromElm(elm, () => 'L.cql')).toEqual([
      { path: 'L.cql', line: 4, column: 3, severity: 'error', message: 'The cause' },
      { path: 'L.cql', line: 4, column: 3, severity: 'warning', message: 'A warning here' },
    ]);
  });

  it('turns the 0-based column of a syntax error into a 1-based one', () => {
    const elm = {
      library: {
        annotation: [annotation({ errorType: 'syntax', startChar: 0, message: 'Syntax error at <EOF>' })],
      },
    };
    expect(diagnosticsFromElm(elm, () => 'L.cql')[0]).toMatchObject({ line: 4, column: 1 });
  });

  it('asks for the file of the library an annotation names', () => {
    const elm = {
      library: { annotation: [annotation({ libraryId: 'Other', libraryVersion: '2', message: 'm' })] },
    };
    expect(diagnosticsFromElm(elm, (id, version) => `${id}-${version}.cql`)[0]?.path).toBe('Other-2.cql');
  });
});
