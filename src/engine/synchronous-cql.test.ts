import vm from 'node:vm';
import cql from 'cql-execution';
import { describe, expect, it } from 'vitest';
import { synchronousCql, synchronousSource } from './synchronous-cql.js';

function run(source: string): unknown {
  const module = { exports: {} as Record<string, unknown> };
  vm.runInNewContext(synchronousSource(source, 'example.js'), { module, exports: module.exports });
  return module.exports;
}

describe('synchronousSource', () => {
  it('removes async and await from functions, arrows and methods, and keeps the values', () => {
    const exports = run(`
      class Node { async exec(x) { return (await this.twice(x)) + 1; } static async make() { return new Node(); } async twice(x) { return x * 2; } }
      const add = async (a, b) => a + await b;
      async function chain(n) {
        return await
          add(n, 1);
      }
      module.exports = { node: new Node(), add, chain };
    `) as {
      node: { exec(x: number): unknown };
      add(a: number, b: number): unknown;
      chain(n: number): unknown;
    };
    expect(exports.node.exec(2)).toBe(5);
    expect(exports.add(1, 2)).toBe(3);
    expect(exports.chain(1)).toBe(2);
  });

  it('turns await Promise.all(list) into the list itself', () => {
    const exports = run(`module.exports = async (xs) => await Promise.all(xs.map(async (x) => x + 1));`) as (
      xs: number[],
    ) => unknown;
    expect(exports([1, 2])).toEqual([2, 3]);
  });

  it('leaves strings and comments that mention async or await alone', () => {
    const out = synchronousSource(
      `// await this\nconst s = 'async await'; async function f() { return s; }`,
      'a.js',
    );
    expect(out).toContain(`// await this`);
    expect(out).toContain(`'async await'`);
    expect(out).not.toMatch(/async function/);
  });

  it.each([
    ['a promise chain', 'async function f(p) { return p.then((x) => x); }'],
    ['another use of Promise', 'async function f() { return Promise.resolve(1); }'],
    ['for await', 'async function f(xs) { for await (const x of xs) {} }'],
  ])('refuses %s, naming the file', (_, source) => {
    expect(() => synchronousSource(source, 'lib/odd.js')).toThrow(
      /lib\/odd\.js:\d+: cannot run synchronously/,
    );
  });
});

const typeName = (name: string) => `{urn:hl7-org:elm-types:r1}${name}`;
const literal = (type: string, value: string) => ({ type: 'Literal', valueType: typeName(type), value });

/** An ELM library of Unfiltered-context statements. */
function elmLibrary(id: string, def: unknown[]) {
  return {
    library: {
      identifier: { id, version: '1' },
      schemaIdentifier: { id: 'urn:hl7-org:elm', version: 'r1' },
      statements: { def },
    },
  };
}

/** Executes each named expression of `elm` on `engine`, as it returns it (a value, or a promise). */
function execute(engine: typeof cql, elm: object, names: readonly string[]): Record<string, unknown> {
  const library = new engine.Library(elm);
  const context = new engine.UnfilteredContext(
    library,
    null,
    undefined,
    {},
    cql.DateTime.fromJSDate(new Date()),
  );
  const expressions = library.expressions as Record<string, { execute(c: unknown): unknown }>;
  return Object.fromEntries(names.map((name) => [name, expressions[name]!.execute(context)]));
}

/** The same, each value awaited. */
async function values(
  engine: typeof cql,
  elm: object,
  names: readonly string[],
): Promise<Record<string, unknown>> {
  const results = execute(engine, elm, names);
  for (const name of names) results[name] = await results[name];
  return results;
}

describe('synchronousCql', () => {
  it('executes expressions to values, not promises, with the installed datatypes', () => {
    const engine = synchronousCql();
    expect(engine).toBe(synchronousCql());
    expect(engine.DateTime).toBe(cql.DateTime);
    expect(engine.Library).not.toBe(cql.Library);
    const elm = elmLibrary('Sync', [
      {
        name: 'Sum',
        context: 'Unfiltered',
        expression: { type: 'Add', operand: [literal('Integer', '2'), literal('Integer', '3')] },
      },
    ]);
    expect(execute(engine, elm, ['Sum'])['Sum']).toBe(5);
  });

  it('chooses an overload per call by the types of its arguments, as the installed engine does', async () => {
    const overload = (operand: string, result: string) => ({
      type: 'FunctionDef',
      name: 'Kind',
      context: 'Unfiltered',
      accessLevel: 'Public',
      operand: [{ name: 'v', operandTypeSpecifier: { type: 'NamedTypeSpecifier', name: typeName(operand) } }],
      expression: literal('String', result),
    });
    const elm = elmLibrary('Overloads', [
      // An integer matches both (a number); cql-execution takes the last that matches.
      overload('Decimal', 'decimal'),
      overload('Integer', 'integer'),
      overload('String', 'string'),
      {
        name: 'Kinds',
        context: 'Unfiltered',
        expression: {
          type: 'Query',
          source: [
            {
              alias: 'X',
              expression: {
                type: 'List',
                element: [
                  literal('Integer', '1'),
                  literal('Decimal', '2.5'),
                  literal('String', 'a'),
                  literal('Integer', '3'),
                  { type: 'Null' },
                  literal('Decimal', '4.5'),
                ],
              },
            },
          ],
          relationship: [],
          return: {
            distinct: false,
            expression: { type: 'FunctionRef', name: 'Kind', operand: [{ type: 'AliasRef', name: 'X' }] },
          },
        },
      },
    ]);
    const expected = await values(cql, elm, ['Kinds']);
    expect(expected).toEqual({ Kinds: ['integer', 'decimal', 'string', 'integer', 'string', 'decimal'] });
    expect(await values(synchronousCql(), elm, ['Kinds'])).toEqual(expected);
  });

  it('makes lists distinct as the installed engine does, one-element lists without hashing', async () => {
    const distinct = (...items: string[]) => ({
      type: 'Distinct',
      operand: { type: 'List', element: items.map((v) => literal('Integer', v)) },
    });
    const elm = elmLibrary('Distinct', [
      { name: 'None', context: 'Unfiltered', expression: distinct() },
      { name: 'One', context: 'Unfiltered', expression: distinct('7') },
      { name: 'Many', context: 'Unfiltered', expression: distinct('1', '2', '1', '3', '2') },
    ]);
    const names = ['None', 'One', 'Many'];
    const expected = await values(cql, elm, names);
    expect(expected).toEqual({ None: [], One: [7], Many: [1, 2, 3] });
    expect(await values(synchronousCql(), elm, names)).toEqual(expected);
  });
});
