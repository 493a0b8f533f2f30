import type { ValueSet } from '../../engine/value-set.js';
import { flattenContains } from '../../engine/value-set.js';

/** A coding taken from a value set expansion (never typed: design.md §4, the brief's clinical safety rule). */
export interface SynthCoding {
  system: string;
  code: string;
  display: string;
}

/**
 * How a class of codes is chosen: the value set it comes from, the PINCER value sets it may also belong
 * to (a combination product or an overlapping list would otherwise put a patient in an indicator the
 * generator did not mean), and an optional preference for ordinary terms (a generic tablet rather than a
 * branded pack, a test "level" rather than a finding).
 */
interface ClassSpec {
  from: string;
  alsoIn: readonly string[];
  prefer?: RegExp;
}

const DRUG =
  /^[A-Z][a-z]+( [a-z]+)? [\d.]+(mg|microgram)s? (gastro-resistant |modified-release )?(tablets|capsules)$/;

/** Every class of codes the generator writes, by name. */
export const CODE_CLASSES = {
  // Medicines (dm+d in SNOMED CT): PINCER lists, and background repeat medicines outside every PINCER list.
  ppi: {
    from: 'pincer-ppi',
    alsoIn: [],
    prefer: /^(Omeprazole|Lansoprazole) \d+mg gastro-resistant capsules$/,
  },
  nsaid: {
    from: 'pincer-nsaid-curated',
    alsoIn: ['pincer-nsaid'],
    prefer: /^(Ibuprofen|Naproxen|Diclofenac sodium) \d+mg (gastro-resistant )?tablets$/,
  },
  warfarin: { from: 'pincer-warfarin', alsoIn: ['pincer-anticoag'], prefer: /^Warfarin \d+mg tablets$/ },
  doac: { from: 'pincer-anticoag', alsoIn: [], prefer: /^(Apixaban|Rivaroxaban|Edoxaban) \d+mg tablets$/ },
  aspirin: {
    from: 'pincer-aspirin',
    alsoIn: ['pincer-antiplat'],
    prefer: /^Aspirin 75mg (dispersible|gastro-resistant) tablets$/,
  },
  clopidogrel: {
    from: 'pincer-non-asp-antiplate',
    alsoIn: ['pincer-antiplat'],
    prefer: /^(Clopidogrel|Ticagrelor) \d+mg tablets$/,
  },
  nsbb: { from: 'pincer-nsbb', alsoIn: [], prefer: /^(Propranolol|Sotalol|Carvedilol) [\d.]+mg tablets$/ },
  acei: {
    from: 'pincer-ace-inhibitor',
    alsoIn: ['pincer-acei'],
    prefer: /^(Ramipril|Lisinopril) [\d.]+mg (tablets|capsules)$/,
  },
  loop: {
    from: 'pincer-loop-diuretic',
    alsoIn: ['pincer-diur'],
    prefer: /^(Furosemide|Bumetanide) [\d.]+mg tablets$/,
  },
  methotrexate: { from: 'pincer-met', alsoIn: [], prefer: /^Methotrexate 2.5mg tablets$/ },
  lithium: { from: 'pincer-lith', alsoIn: [], prefer: /^Lithium carbonate \d+mg modified-release tablets$/ },
  amiodarone: { from: 'pincer-amio', alsoIn: [], prefer: /^Amiodarone 200mg tablets$/ },
  statin: { from: 'statin-statins-dmd', alsoIn: [], prefer: DRUG },
  antihypertensive: {
    from: 'statin-antihypertensives-dmd',
    alsoIn: [],
    prefer: /^(Amlodipine|Indapamide|Doxazosin|Bendroflumethiazide) [\d.]+mg tablets$/,
  },
  corticosteroid: { from: 'statin-oral-corticosteroids', alsoIn: [], prefer: /^Prednisolone \d+mg tablets$/ },
  // Diagnoses (SNOMED CT).
  'peptic-ulcer': { from: 'pincer-pep', alsoIn: [], prefer: /^(Peptic|Gastric|Duodenal) ulcer$/ },
  'gi-bleed': { from: 'pincer-gi-bleed', alsoIn: [], prefer: /hemorrhage|Hematemesis|Melena/i },
  asthma: { from: 'pincer-ast', alsoIn: [], prefer: /^Asthma$/ },
  'asthma-resolved': { from: 'pincer-ast-res', alsoIn: [] },
  'heart-failure': { from: 'pincer-hf', alsoIn: [], prefer: /^(Heart failure|Congestive heart failure)$/ },
  hypertension: {
    from: 'statin-hypertension-uk',
    alsoIn: [],
    prefer: /^(Essential hypertension|Hypertensive disorder, systemic arterial \(disorder\))$/,
  },
  diabetes: { from: 'statin-type-2-diabetes', alsoIn: [], prefer: /^Type 2 diabetes mellitus/i },
  'atrial-fibrillation': { from: 'statin-atrial-fibrillation', alsoIn: [], prefer: /^Atrial fibrillation$/ },
  // Tests (SNOMED CT; LOINC where the value set has it).
  egfr: { from: 'pincer-egfr', alsoIn: ['pincer-renal'], prefer: /^Estimated glomerular filtration rate/ },
  creatinine: { from: 'pincer-renal', alsoIn: [], prefer: /creatinine level$/i },
  electrolytes: { from: 'pincer-electro', alsoIn: [], prefer: /level$/i },
  fbc: { from: 'pincer-fbc', alsoIn: [], prefer: /^(Full blood count|Haemoglobin estimation)/i },
  lft: { from: 'pincer-lft', alsoIn: [], prefer: /^(Liver function test|Serum ALT level)/i },
  tft: { from: 'pincer-tft', alsoIn: [], prefer: /^(Serum TSH level|Thyroid function test)/i },
  'lithium-level': { from: 'pincer-lith-lev', alsoIn: [], prefer: /lithium level$/i },
  'systolic-bp': { from: 'statin-systolic-blood-pressure', alsoIn: [] },
  cholesterol: { from: 'statin-total-cholesterol', alsoIn: [] },
  'body-weight': { from: 'statin-body-weight', alsoIn: [] },
  bmi: { from: 'statin-bmi', alsoIn: [] },
} as const satisfies Record<string, ClassSpec>;

export type CodeClass = keyof typeof CODE_CLASSES;

/** The codes of every class, chosen from the value sets in knowledge/valuesets. */
export class SynthCodes {
  private readonly byClass = new Map<CodeClass, SynthCoding[]>();
  /** Value set membership by file name: `pincer-ppi` → codes. */
  private readonly members = new Map<string, Set<string>>();

  constructor(valueSets: readonly ValueSet[]) {
    const byName = new Map<string, ValueSet>();
    for (const vs of valueSets) {
      const name = vs.url.split('/').pop() ?? vs.url;
      byName.set(name, vs);
      this.members.set(
        name,
        new Set(flattenContains(vs.expansion?.contains ?? []).map((c) => `${c.system}|${c.code}`)),
      );
    }
    const pincer = [...this.members.keys()].filter((n) => n.startsWith('pincer-'));
    for (const [name, spec] of Object.entries(CODE_CLASSES) as Array<[CodeClass, ClassSpec]>) {
      const vs = byName.get(spec.from);
      if (vs === undefined) throw new Error(`synthetic codes: value set ${spec.from} is missing`);
      const allowed = new Set([spec.from, ...spec.alsoIn]);
      const clean = flattenContains(vs.expansion?.contains ?? [])
        .filter(
          (c): c is SynthCoding => c.code !== undefined && c.system !== undefined && c.display !== undefined,
        )
        .filter((c) =>
          pincer.every((p) => allowed.has(p) || !this.members.get(p)!.has(`${c.system}|${c.code}`)),
        )
        .map((c) => ({ system: c.system, code: c.code, display: c.display }))
        .sort((a, b) => a.code.localeCompare(b.code));
      const preferred = spec.prefer === undefined ? [] : clean.filter((c) => spec.prefer!.test(c.display));
      const chosen = preferred.length > 0 ? preferred : clean;
      if (chosen.length === 0) throw new Error(`synthetic codes: no usable code for ${name} in ${spec.from}`);
      this.byClass.set(name, chosen);
    }
  }

  /** The candidate codings of a class (at least one). */
  of(codeClass: CodeClass): readonly SynthCoding[] {
    return this.byClass.get(codeClass)!;
  }

  private readonly memberships = new WeakMap<object, Map<string, boolean>>();

  /** Whether a coding is in a value set, by file name (`pincer-ppi`); answers are kept per coding object. */
  inValueSet(name: string, coding: { system: string; code: string }): boolean {
    let known = this.memberships.get(coding);
    if (known === undefined) {
      known = new Map();
      this.memberships.set(coding, known);
    }
    let member = known.get(name);
    if (member === undefined) {
      member = this.members.get(name)?.has(`${coding.system}|${coding.code}`) === true;
      known.set(name, member);
    }
    return member;
  }
}
