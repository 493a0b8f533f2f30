import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import * as acorn from 'acorn';
import type cqlModule from 'cql-execution';

/**
 * cql-execution's own evaluation code, run synchronously.
 *
 * Why: cql-execution 3 made every expression node `async` so that data sources may answer
 * asynchronously. loopcds never needs that: the patient's resources are in memory before evaluation
 * (prefetch and the FHIR fetch finish first; a population partition is read first), and the code
 * service is an in-memory index. Awaiting every node of every expression (each `await` a promise and a
 * trip through the microtask queue) cost between a sixth and a third of the CPU of a population patient
 * in our measurements (docs/population-search.md, "Speed"). Version 2 of the same engine was synchronous; this runs
 * version 3's code the way version 2 ran.
 *
 * How: the modules of the installed cql-execution that hold `async`/`await` (its expression nodes, its
 * contexts, a sort and the value-set helper), and those that import them, are loaded again from their
 * own files with their `async` and `await` keywords removed, using acorn's syntax tree (so strings and
 * comments are never touched). `await Promise.all(list)` becomes `list`, since the list then holds
 * values. The other modules (its datatypes above all: DateTime, Interval, Code) are the installed ones,
 * shared with cql-exec-fhir and the rest of loopcds, so that `instanceof` keeps working everywhere.
 * Anything else asynchronous (a `.then`, another use of `Promise`, `for await`) stops the load with an
 * error naming the file: a new cql-execution version is then a deliberate change, not a silent one.
 * The equivalence of both engines on every test case of every artefact is a test
 * (test/engine/synchronous-cql.test.ts).
 */

/** cql-execution's module: the installed one, or the synchronous one this builds. */
export type CqlEngine = typeof cqlModule;

const requireHere = createRequire(import.meta.url);

/** A module's source and syntax tree, what it requires, and what in it is asynchronous. */
interface ModuleFacts {
  source: string;
  program: AnyNode;
  /** Relative modules it requires, with the exports it reads of each ('all' when it cannot tell). */
  requires: Array<{ file: string; reads: ReadonlySet<string> | 'all' }>;
  /** Its top-level `async function`s (cql-execution's util: a sort and the value-set helper). */
  asyncFunctions: ReadonlySet<string>;
  /** Asynchronous code anywhere else: methods of its classes (the expression nodes), arrows. */
  asyncElsewhere: boolean;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** An acorn node with its fields by name. */
interface AnyNode {
  type: string;
  start: number;
  end: number;
  [field: string]: unknown;
}

let loaded: CqlEngine | undefined;

/** The synchronous cql-execution (built once per thread). Its `execute` methods return values. */
export function synchronousCql(): CqlEngine {
  loaded ??= load();
  return loaded;
}

function load(): CqlEngine {
  const entry = requireHere.resolve('cql-execution');
  const libDir = path.dirname(entry);
  const facts = new Map<string, ModuleFacts>();
  for (const file of jsFiles(libDir)) facts.set(file, analyse(file));
  // A module is rebuilt when it holds asynchronous code, or reads something asynchronous from a module
  // it requires: an async function of it, or anything of a module with asynchronous classes (or rebuilt
  // for that reason). The datatypes read only synchronous helpers of cql-execution's util, and so are
  // the installed ones.
  const rebuilt = new Set<string>();
  const whole = new Set<string>();
  for (const [file, f] of facts) {
    if (f.asyncElsewhere) whole.add(file);
    if (f.asyncElsewhere || f.asyncFunctions.size > 0) rebuilt.add(file);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const [file, f] of facts) {
      if (whole.has(file)) continue;
      const readsAsync = f.requires.some(
        ({ file: r, reads }) =>
          whole.has(r) ||
          (rebuilt.has(r) &&
            (reads === 'all' || [...reads].some((name) => facts.get(r)!.asyncFunctions.has(name)))),
      );
      if (readsAsync) {
        whole.add(file);
        rebuilt.add(file);
        changed = true;
      }
    }
  }
  const cache = new Map<string, { exports: unknown }>();
  const loadModule = (file: string): unknown => {
    const known = cache.get(file);
    if (known !== undefined) return known.exports;
    const f = facts.get(file)!;
    const module = { exports: {} as unknown };
    cache.set(file, module);
    const realRequire = createRequire(file);
    const localRequire = (specifier: string): unknown => {
      if (specifier.startsWith('.')) {
        const resolved = realRequire.resolve(specifier);
        if (rebuilt.has(resolved)) return loadModule(resolved);
      }
      return realRequire(specifier);
    };
    const compiled = vm.compileFunction(
      withoutAsync(file, f),
      ['exports', 'require', 'module', '__filename', '__dirname'],
      { filename: `${file} (synchronous)` },
    ) as (...args: unknown[]) => void;
    compiled(module.exports, localRequire, module, file, path.dirname(file));
    return module.exports;
  };
  if (!rebuilt.has(entry)) throw new Error('cql-execution: its entry module is not asynchronous any more');
  const engine = loadModule(entry) as CqlEngine;
  const reusable = loadModule(path.join(libDir, 'elm', 'reusable.js')) as { FunctionRef?: FunctionRefClass };
  if (reusable.FunctionRef === undefined) throw new Error('cql-execution: no FunctionRef in elm/reusable.js');
  rememberOverloads(reusable.FunctionRef);
  const list = loadModule(path.join(libDir, 'elm', 'list.js')) as { toDistinctList?: DistinctList };
  if (typeof list.toDistinctList !== 'function')
    throw new Error('cql-execution: no toDistinctList in elm/list.js');
  list.toDistinctList = distinctWithoutHashingOne(list.toDistinctList);
  return engine;
}

type DistinctList = (list: unknown[]) => unknown[];

/**
 * cql-execution makes a list distinct (a query without `return all`, FHIRHelpers' `ToConcept` over its
 * codings, `Union`) by hashing every element deeply into an immutable.js set, even when the list holds
 * one element, which is always distinct: most concepts have one coding. A list of at most one element
 * is returned as a new list without hashing; longer lists go to cql-execution. Its modules call the
 * function through their `exports`, so replacing the export is enough.
 */
function distinctWithoutHashingOne(original: DistinctList): DistinctList {
  return (list) => (list.length === 0 ? [] : list.length === 1 ? [list[0]] : original(list));
}

/** cql-execution's FunctionRef expression node, as far as the dispatch below uses it. */
interface FunctionRefClass {
  prototype: FunctionRefNode;
}

interface FunctionRefNode {
  name: string;
  library?: string;
  execArgs(ctx: RuntimeContext): unknown;
  exec(ctx: RuntimeContext): unknown;
  /** Chosen definitions by argument types (see rememberOverloads). */
  _loopcdsChosen?: Map<unknown, Map<string, FunctionDefinition>>;
}

interface FunctionDefinition {
  parameters: Array<{ name: string; operandTypeSpecifier?: unknown; operandType?: string }>;
  expression: { execute(ctx: RuntimeContext): unknown };
}

interface RuntimeContext {
  get(name: string): unknown;
  getFunction(name: string): FunctionDefinition[] | undefined;
  getLibraryContext(name: string): RuntimeContext | undefined;
  childContext(): RuntimeContext;
  set(name: string, value: unknown): void;
  matchesTypeSpecifier(value: unknown, spec: unknown): boolean;
}

/**
 * A call of an overloaded function (FHIRHelpers' `ToString` has some forty) chooses its definition at
 * run time by testing each argument against each overload's operand types: most of the dispatch cost of
 * a FHIRHelpers call, and the same answer every time for arguments of the same types. The choice is
 * kept per call site and argument types, when the types say it all: each argument null, undefined, a string, a
 * boolean, an integer or other number, or a FHIR object of one model class (whose type tests read its
 * class alone). Other arguments (lists, tuples, intervals, CQL values) are tested as cql-execution
 * tests them, every time. Choosing is cql-execution's rule: the overloads with as many operands as
 * arguments, then those every non-null argument matches, and the last of them.
 */
function rememberOverloads(FunctionRef: FunctionRefClass): void {
  FunctionRef.prototype.exec = function exec(this: FunctionRefNode, ctx: RuntimeContext): unknown {
    let definitions: FunctionDefinition[] | undefined;
    let child: RuntimeContext | undefined;
    if (this.library !== undefined && this.library !== null) {
      const library = ctx.get(this.library) as { getFunction(name: string): FunctionDefinition[] } | null;
      definitions = library ? library.getFunction(this.name) : undefined;
      child = ctx.getLibraryContext(this.library)?.childContext();
    } else {
      definitions = ctx.getFunction(this.name);
      child = ctx.childContext();
    }
    const args = this.execArgs(ctx) as unknown[];
    const definition = chooseDefinition(this, definitions ?? [], args, ctx);
    for (let i = 0; i < definition.parameters.length; i++)
      child!.set(definition.parameters[i]!.name, args[i]);
    return definition.expression.execute(child!);
  };
}

function chooseDefinition(
  node: FunctionRefNode,
  definitions: readonly FunctionDefinition[],
  args: readonly unknown[],
  ctx: RuntimeContext,
): FunctionDefinition {
  const key = definitions.length > 1 ? typesKey(args) : undefined;
  const chosen = key === undefined ? undefined : (node._loopcdsChosen ??= new Map()).get(definitions);
  const known = key === undefined ? undefined : chosen?.get(key);
  if (known !== undefined) return known;
  let candidates = definitions.filter((f) => f.parameters.length === args.length);
  if (candidates.length > 1) {
    candidates = candidates.filter((f) =>
      args.every((arg, i) => arg === null || ctx.matchesTypeSpecifier(arg, operandType(f.parameters[i]!))),
    );
  }
  const definition = candidates[candidates.length - 1];
  if (definition === undefined) throw new Error('no function with matching signature could be found');
  if (key !== undefined) {
    let byKey = node._loopcdsChosen!.get(definitions);
    if (byKey === undefined)
      node._loopcdsChosen!.set(definitions, (byKey = new Map<string, FunctionDefinition>()));
    byKey.set(key, definition);
  }
  return definition;
}

function operandType(parameter: FunctionDefinition['parameters'][number]): unknown {
  if (parameter.operandTypeSpecifier == null && parameter.operandType != null)
    return { name: parameter.operandType, type: 'NamedTypeSpecifier' };
  return parameter.operandTypeSpecifier;
}

const classIds = new WeakMap<object, number>();
let nextClassId = 0;

/** The argument types as a key, or undefined when a type test could depend on more than the type. */
function typesKey(args: readonly unknown[]): string | undefined {
  let key = '';
  for (const arg of args) {
    if (arg === null) key += 'n';
    else if (arg === undefined) key += 'u';
    else if (typeof arg === 'string') key += 's';
    else if (typeof arg === 'boolean') key += 'b';
    else if (typeof arg === 'number') key += Number.isInteger(arg) ? 'i' : 'd';
    else {
      const typeInfo = (arg as { getTypeInfo?: () => unknown }).getTypeInfo?.();
      if (typeof typeInfo !== 'object' || typeInfo === null || Array.isArray(arg)) return undefined;
      let id = classIds.get(typeInfo);
      if (id === undefined) classIds.set(typeInfo, (id = nextClassId++));
      key += `c${id}`;
    }
    key += ',';
  }
  return key;
}

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...jsFiles(file));
    else if (name.endsWith('.js')) out.push(file);
  }
  return out;
}

/**
 * A CommonJS module's source without `async` and `await` (see the module comment); throws, naming
 * `file`, when it holds anything else asynchronous.
 */
export function synchronousSource(source: string, file: string): string {
  return withoutAsync(file, {
    source,
    program: parse(source),
    requires: [],
    asyncFunctions: new Set(),
    asyncElsewhere: true,
  });
}

function parse(source: string): AnyNode {
  return acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
}

function analyse(file: string): ModuleFacts {
  const source = readFileSync(file, 'utf8');
  const program = parse(source);
  const realRequire = createRequire(file);
  const asyncFunctions = new Set<string>();
  let asyncElsewhere = false;
  /** Required files by the name bound to them (`const util_1 = require("../util/util")`). */
  const bound = new Map<string, { file: string; reads: Set<string> | 'all' }>();
  const boundCalls = new Set<unknown>();
  const requires: Array<{ file: string; reads: Set<string> | 'all' }> = [];
  const requiredFile = (node: unknown): string | undefined => {
    if (!isNode(node) || node.type !== 'CallExpression' || nameOf(node['callee']) !== 'require') return;
    const [arg] = node['arguments'] as AnyNode[];
    const value = arg?.type === 'Literal' ? arg['value'] : undefined;
    return typeof value === 'string' && value.startsWith('.') ? realRequire.resolve(value) : undefined;
  };
  for (const statement of program['body'] as AnyNode[]) {
    if (statement.type === 'FunctionDeclaration' && statement['async'] === true)
      asyncFunctions.add(nameOf(statement['id']));
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declarator of statement['declarations'] as AnyNode[]) {
      // `require(x)`, or TypeScript's `__importStar(require(x))`.
      let init = declarator['init'];
      if (isNode(init) && init.type === 'CallExpression' && requiredFile(init) === undefined)
        init = (init['arguments'] as unknown[])[0];
      const file = requiredFile(init);
      const name = nameOf(declarator['id']);
      if (file === undefined || name === '' || bound.has(name)) continue;
      bound.set(name, { file, reads: new Set() });
      boundCalls.add(init);
    }
  }
  walk(program, (node, parent) => {
    if (isFunction(node) && node['async'] === true) {
      const topLevel = node.type === 'FunctionDeclaration' && (program['body'] as unknown[]).includes(node);
      if (!topLevel) asyncElsewhere = true;
    }
    const file = requiredFile(node);
    if (file !== undefined && !boundCalls.has(node)) requires.push({ file, reads: 'all' });
    const binding = bound.get(nameOf(node));
    if (binding === undefined || binding.reads === 'all') return;
    if (parent?.type === 'VariableDeclarator' && parent['id'] === node) return;
    if (parent?.type === 'MemberExpression' && parent['object'] === node && parent['computed'] !== true)
      binding.reads.add(nameOf(parent['property']));
    else binding.reads = 'all';
  });
  requires.push(...bound.values());
  return { source, program, requires, asyncFunctions, asyncElsewhere };
}

/** The module's source with `async` and `await` removed (see the module comment). */
function withoutAsync(file: string, { source, program }: ModuleFacts): string {
  const edits: Edit[] = [];
  const fail = (node: AnyNode, what: string): never => {
    throw new Error(`${file}:${node.start}: cannot run synchronously: ${what}`);
  };
  walk(program, (node, parent) => {
    if (isFunction(node) && node['async'] === true) {
      // The keyword opens the function, or (a method) its definition: the first `async` token there.
      const from = parent !== undefined && isMethodLike(parent) ? parent.start : node.start;
      const token = asyncKeywordAt(source, from, node);
      if (token === undefined) fail(node, 'an async function whose keyword cannot be found');
      edits.push({ start: token!, end: token! + 'async'.length, text: '' });
    }
    if (node.type === 'AwaitExpression') {
      // `await x` becomes `(x)`: the parentheses keep precedence and line breaks as they were.
      const argument = node['argument'] as AnyNode;
      edits.push({ start: node.start, end: node.start + 'await'.length, text: '(' });
      edits.push({ start: node.end, end: node.end, text: ')' });
      if (isPromiseAll(argument)) {
        const callee = argument['callee'] as AnyNode;
        edits.push({ start: callee.start, end: callee.end, text: '' });
      }
    }
    if (node.type === 'ForOfStatement' && node['await'] === true) fail(node, '`for await`');
    if (node.type === 'Identifier' && node['name'] === 'Promise') {
      const awaited = parent?.type === 'MemberExpression' && isAwaitedPromiseAll(parent);
      if (!awaited) fail(node, 'a use of Promise other than `await Promise.all(…)`');
    }
    if (
      node.type === 'MemberExpression' &&
      ['then', 'catch', 'finally'].includes(nameOf(node['property'])) &&
      parent?.type === 'CallExpression' &&
      parent['callee'] === node
    ) {
      fail(node, `a promise chain (.${nameOf(node['property'])})`);
    }
  });
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = source;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** MemberExpression nodes `Promise.all` that are the callee of an awaited call. */
const awaitedPromiseAll = new WeakSet<object>();

function isPromiseAll(node: AnyNode): boolean {
  if (node.type !== 'CallExpression') return false;
  const callee = node['callee'] as AnyNode;
  const ok =
    callee.type === 'MemberExpression' &&
    nameOf(callee['object']) === 'Promise' &&
    nameOf(callee['property']) === 'all';
  if (ok) awaitedPromiseAll.add(callee);
  return ok;
}

function isAwaitedPromiseAll(member: AnyNode): boolean {
  return awaitedPromiseAll.has(member);
}

function isFunction(node: AnyNode): boolean {
  return (
    node.type === 'FunctionDeclaration' ||
    node.type === 'FunctionExpression' ||
    node.type === 'ArrowFunctionExpression'
  );
}

function isMethodLike(node: AnyNode): boolean {
  return node.type === 'MethodDefinition' || (node.type === 'Property' && node['method'] === true);
}

/** The offset of the `async` keyword between `from` and the function's parameters. */
function asyncKeywordAt(source: string, from: number, fn: AnyNode): number | undefined {
  const params = fn['params'] as AnyNode[];
  const body = fn['body'] as AnyNode;
  const limit = params[0]?.start ?? body.start;
  const match = /\basync\b/.exec(source.slice(from, limit));
  return match === null ? undefined : from + match.index;
}

/** Visits every node, parents before children (an AwaitExpression before its argument). */
function walk(node: AnyNode, visit: (node: AnyNode, parent: AnyNode | undefined) => void): void {
  const stack: Array<[AnyNode, AnyNode | undefined]> = [[node, undefined]];
  while (stack.length > 0) {
    const [current, parent] = stack.pop()!;
    visit(current, parent);
    const children: AnyNode[] = [];
    for (const [key, value] of Object.entries(current)) {
      if (key === 'type' || key === 'start' || key === 'end') continue;
      if (Array.isArray(value)) {
        for (const v of value) if (isNode(v)) children.push(v);
      } else if (isNode(value)) children.push(value);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i]!, current]);
  }
}

/** An Identifier's name; '' for any other node. */
function nameOf(node: unknown): string {
  return isNode(node) && node.type === 'Identifier' && typeof node['name'] === 'string' ? node['name'] : '';
}

function isNode(value: unknown): value is AnyNode {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}
