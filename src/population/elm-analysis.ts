import type { ElmLibrary } from '../engine/cql-evaluator.js';

/** An ELM node: any JSON object of the translator's output. */
type ElmNode = Record<string, unknown>;

/** What a set of expressions reads from a patient's record, found by walking their ELM. */
export interface ExpressionReads {
  /** FHIR resource types retrieved (`[MedicationRequest]`), the Patient aside. */
  resourceTypes: ReadonlySet<string>;
  /**
   * The Patient elements read (first path segment: `birthDate`, `deceased`, `gender`, …), or `undefined`
   * when the Patient is used in a way this analysis does not follow (passed whole to a function, retrieved
   * again, queried): then the whole Patient resource counts.
   */
  patientElements: ReadonlySet<string> | undefined;
  /**
   * True when `birthDate` is read only as an age in whole years on the evaluation date (`AgeInYearsAt`
   * of a definition that is `Today()`) or tested for null: the age then stands for the birth date.
   */
  birthDateAsAgeOnly: boolean;
}

interface LibraryScope {
  elm: ElmLibrary;
  /** Included libraries by local alias. */
  aliases: Map<string, string>;
}

/**
 * Reads compiled CQL (ELM) to learn what expressions depend on: which resource types they retrieve and
 * which Patient elements they read, following definitions and functions across included libraries. The
 * population evaluator uses it to evaluate an artefact's denominator on only the resources it can read,
 * and to recognise patients whose denominator is decided by their Patient resource alone (design.md §3:
 * population speed comes from not doing work). Every doubt is resolved towards "reads everything".
 */
export class ElmAnalysis {
  private readonly libraries = new Map<string, LibraryScope>();

  /**
   * @param main the artefact's library
   * @param includes every library it includes, transitively
   */
  constructor(
    private readonly main: ElmLibrary,
    includes: readonly ElmLibrary[],
  ) {
    for (const lib of [main, ...includes]) {
      const aliases = new Map<string, string>();
      const defs = (lib.library['includes'] as { def?: Array<{ localIdentifier: string; path: string }> })
        ?.def;
      for (const d of defs ?? []) aliases.set(d.localIdentifier, d.path);
      this.libraries.set(lib.library.identifier.id, { elm: lib, aliases });
    }
  }

  /** Whether the main library defines an expression of this name. */
  defines(name: string): boolean {
    return this.definition(this.main.library.identifier.id, name) !== undefined;
  }

  /** What the named expressions of the main library read, together. */
  reads(names: readonly string[]): ExpressionReads {
    const walk = new ReadWalk(this);
    for (const name of names) walk.visitDefinition(this.main.library.identifier.id, name);
    return walk.reads();
  }

  /** What an expression node of the main library reads (a conjunct found by {@link conjuncts}). */
  readsOfNode(node: unknown): ExpressionReads {
    const walk = new ReadWalk(this);
    walk.visitNode(node, this.main.library.identifier.id);
    return walk.reads();
  }

  /**
   * The operands of the `and` at the root of a definition of the main library, flattened through nested
   * `and`s and through references to other definitions of the main library: `"Denominator": Common."In
   * Base Population" and "Aged 75 Or Over" and (…)` gives three conjuncts (and "Aged 75 Or Over", being
   * `Age between 75 and 120`, two). Each is named by the definition it sits in and its path of operand
   * indices, so that the built expression can be found. Since CQL's `and` is false as soon as one operand
   * is, and is otherwise true only when all are, conjuncts can be evaluated apart and in any order.
   * References to the `opaque` definitions are kept whole, as one conjunct each.
   */
  conjuncts(
    name: string,
    opaque: ReadonlySet<string> = new Set(),
  ): Array<{ node: ElmNode; definition: string; path: number[] }> {
    const lib = this.main.library.identifier.id;
    const out: Array<{ node: ElmNode; definition: string; path: number[] }> = [];
    const seen = new Set<string>();
    const visit = (node: unknown, definition: string, path: number[]) => {
      if (!isNode(node)) return;
      if (node['type'] === 'And' && Array.isArray(node['operand'])) {
        (node['operand'] as unknown[]).forEach((operand, i) => visit(operand, definition, [...path, i]));
        return;
      }
      const target =
        node['type'] === 'ExpressionRef' && node['libraryName'] === undefined
          ? String(node['name'])
          : undefined;
      const def = target === undefined ? undefined : this.definition(lib, target);
      if (
        target !== undefined &&
        def !== undefined &&
        target !== 'Patient' &&
        !seen.has(target) &&
        !opaque.has(target)
      ) {
        seen.add(target);
        visit(def['expression'], target, []);
        return;
      }
      out.push({ node, definition, path });
    };
    seen.add(name);
    visit(this.definition(lib, name)?.['expression'], name, []);
    return out;
  }

  /**
   * True when `expression` can be true only if `implied` is: it is `implied` itself, or an `and` of which
   * one operand (through definitions of the main library) implies it. PINCER artefacts write
   * `"Hazard": "Denominator" and …` and `"Alert": "Hazard" and …`, so a patient outside the denominator
   * cannot fire and needs no full evaluation.
   */
  implies(expression: string, implied: string): boolean {
    const lib = this.main.library.identifier.id;
    const seen = new Set<string>();
    const check = (node: unknown): boolean => {
      if (!isNode(node)) return false;
      if (node['type'] === 'ExpressionRef' && node['libraryName'] === undefined) {
        const name = node['name'] as string;
        if (name === implied) return true;
        if (seen.has(name)) return false;
        seen.add(name);
        return check(this.definition(lib, name)?.['expression']);
      }
      if (node['type'] === 'And') return (node['operand'] as unknown[]).some(check);
      return false;
    };
    if (expression === implied) return true;
    seen.add(expression);
    return check(this.definition(lib, expression)?.['expression']);
  }

  /** The statement `name` of a library (an expression or a function; functions may be overloaded). */
  definitions(libraryId: string, name: string): ElmNode[] {
    const defs = (this.libraries.get(libraryId)?.elm.library['statements'] as { def?: ElmNode[] })?.def;
    return (defs ?? []).filter((d) => d['name'] === name);
  }

  definition(libraryId: string, name: string): ElmNode | undefined {
    return this.definitions(libraryId, name).find((d) => d['type'] !== 'FunctionDef');
  }

  /** The library an alias names from inside `libraryId`; the library itself when no alias. */
  resolve(libraryId: string, alias: unknown): string | undefined {
    if (typeof alias !== 'string') return libraryId;
    return this.libraries.get(libraryId)?.aliases.get(alias);
  }
}

/** Keys of ELM nodes that hold no expressions. */
const SKIPPED_KEYS = new Set(['annotation', 'locator', 'localId', 'resultTypeSpecifier', 'signature']);

class ReadWalk {
  readonly resourceTypes = new Set<string>();
  readonly patientElements = new Set<string>();
  patientOpaque = false;
  birthDateRaw = false;
  private readonly visited = new Set<string>();

  constructor(private readonly analysis: ElmAnalysis) {}

  reads(): ExpressionReads {
    return {
      resourceTypes: this.resourceTypes,
      patientElements: this.patientOpaque ? undefined : this.patientElements,
      birthDateAsAgeOnly: !this.birthDateRaw,
    };
  }

  visitNode(node: unknown, libraryId: string): void {
    this.visit(node, libraryId, undefined);
  }

  visitDefinition(libraryId: string, name: string): void {
    const key = `${libraryId}\u0000${name}`;
    if (this.visited.has(key)) return;
    this.visited.add(key);
    const defs = this.analysis.definitions(libraryId, name);
    if (defs.length === 0) {
      this.patientOpaque = true; // an unknown reference: assume the worst
      return;
    }
    for (const def of defs) this.visit(def['expression'], libraryId, undefined);
  }

  private visit(node: unknown, libraryId: string, parent: ElmNode | undefined): void {
    if (Array.isArray(node)) {
      for (const child of node) this.visit(child, libraryId, parent);
      return;
    }
    if (!isNode(node)) return;
    const type = node['type'];
    if (type === 'ExpressionRef') {
      const target = this.analysis.resolve(libraryId, node['libraryName']);
      if (target === undefined) this.patientOpaque = true;
      else if (node['name'] === 'Patient')
        this.patientOpaque = true; // the Patient used whole
      else this.visitDefinition(target, node['name'] as string);
      return;
    }
    if (type === 'FunctionRef') {
      const target = this.analysis.resolve(libraryId, node['libraryName']);
      if (target === undefined) this.patientOpaque = true;
      else this.visitDefinition(target, node['name'] as string);
      this.visit(node['operand'], libraryId, node);
      return;
    }
    if (type === 'Retrieve') {
      const dataType = (typeof node['dataType'] === 'string' ? node['dataType'] : '').replace(
        /^\{[^}]*\}/,
        '',
      );
      if (dataType === 'Patient') this.patientOpaque = true;
      else this.resourceTypes.add(dataType);
    }
    if (type === 'Property' && isPatientRef(node['source'])) {
      this.patientProperty(node, parent, libraryId);
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (!SKIPPED_KEYS.has(key)) this.visit(child, libraryId, node);
    }
  }

  private patientProperty(node: ElmNode, parent: ElmNode | undefined, libraryId: string): void {
    const path = String(node['path']);
    const element = path.split('.')[0] ?? path;
    if (element !== 'birthDate') {
      this.patientElements.add(element);
      return;
    }
    this.patientElements.add('birthDate');
    const operands = parent?.['operand'];
    const asAge =
      parent?.['type'] === 'CalculateAgeAt' &&
      parent['precision'] === 'Year' &&
      path === 'birthDate.value' &&
      Array.isArray(operands) &&
      operands[0] === node &&
      this.isToday(operands[1], libraryId, 0);
    const asNullTest = parent?.['type'] === 'IsNull' && path === 'birthDate';
    if (!asAge && !asNullTest) this.birthDateRaw = true;
  }

  /** `Today()`, or a reference to a definition that is `Today()`. */
  private isToday(node: unknown, libraryId: string, depth: number): boolean {
    if (!isNode(node) || depth > 10) return false;
    if (node['type'] === 'Today') return true;
    if (node['type'] !== 'ExpressionRef') return false;
    const target = this.analysis.resolve(libraryId, node['libraryName']);
    if (target === undefined) return false;
    const def = this.analysis.definition(target, node['name'] as string);
    return this.isToday(def?.['expression'], target, depth + 1);
  }
}

function isNode(value: unknown): value is ElmNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isPatientRef(node: unknown): boolean {
  return isNode(node) && node['type'] === 'ExpressionRef' && node['name'] === 'Patient';
}
