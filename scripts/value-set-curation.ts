/**
 * What we say about each OpenSAFELY PINCER codelist, and the rules that curate new value sets
 * from them. This file is for a pharmacist to read and review: it holds no codes. A rule
 * SELECTS rows of a codelist CSV by patterns on the row's term; scripts/build-value-sets.ts
 * applies it and lists what each rule left out in knowledge/valuesets/curation-report.md.
 *
 * Sources: clinical-spec §1.3 (indicator definitions) and §1.6 (codelists and their quality issues).
 * Brand names below were read from the codelists' own terms; which ingredient each brand holds was
 * checked against published UK brand-to-ingredient search lists (BNF-chapter codelist scripts)
 * where we could find the brand, otherwise from the strengths in the term. Please review them.
 */

/** A pattern matched against a codelist term, with the reason a reviewer reads. */
export interface TermPattern {
  /** Matched case-insensitively against the whole term, e.g. "Lasix 40mg tablets (Sanofi)". */
  readonly pattern: RegExp;
  readonly why: string;
}

/** Which rows of one codelist a rule takes. */
export interface SourceSelection {
  /** Codelist name as in the CSV file name: `pincer-<codelist>.csv`. */
  readonly codelist: string;
  /** A row is taken when any of these matches its term... */
  readonly include: readonly TermPattern[];
  /** ...and none of these does. */
  readonly exclude: readonly TermPattern[];
  /** List the rows no include pattern matched in the report (off when that is most of the list). */
  readonly listUnmatched: boolean;
}

/** A curated value set: the union of the rows each source selection takes. */
export interface CurationRule {
  /** Value set id, and its file name in knowledge/valuesets/. */
  readonly id: string;
  /** FHIR `name` (computer-friendly). */
  readonly name: string;
  readonly title: string;
  /** Version of the rule; raise it whenever the patterns change (rule versions are clinically significant). */
  readonly version: string;
  readonly sources: readonly SourceSelection[];
  /** Why the value set exists and how it differs from its sources. */
  readonly rationale: string;
}

/** A check that rules split one codelist cleanly: every row in exactly one part, or else named as the remainder. */
export interface PartitionCheck {
  readonly codelist: string;
  /** Ids of the curation rules that split it. */
  readonly parts: readonly string[];
  /** Rows that belong to no part, on purpose. Any other row outside every part fails the build. */
  readonly remainder: readonly TermPattern[];
}

/** What a codelist is, where PINCER uses it (clinical-spec §1.3) and its known quality issues (§1.6). */
export interface CodelistNote {
  readonly title: string;
  readonly usedBy: string;
  readonly issues?: string;
}

export const CODELIST_NOTES: Readonly<Record<string, CodelistNote>> = {
  acei: {
    title: 'ACE inhibitors and angiotensin II receptor blockers',
    usedBy: 'AC (MO_P13)',
    issues:
      'Despite its name it holds ARBs, aliskiren and sacubitril/valsartan as well as ACE inhibitors; pincer-ace-inhibitor and pincer-arb split it for display.',
  },
  amio: { title: 'Amiodarone', usedBy: 'AM (MO_P18)' },
  anticoag: {
    title: 'Oral anticoagulants (warfarin, phenindione, acenocoumarol, DOACs)',
    usedBy: 'D (GI_P3D), E (GI_P3E)',
  },
  antiplat: { title: 'Antiplatelets, aspirin included', usedBy: 'E (GI_P3E)' },
  aspirin: {
    title: 'Aspirin',
    usedBy: 'C (GI_P3C), F (GI_P3F)',
    issues: 'Includes over-the-counter analgesic aspirin and bisoprolol/aspirin combinations.',
  },
  ast: { title: 'Asthma', usedBy: 'G (AS_P3G)' },
  ast_res: { title: 'Asthma resolved', usedBy: 'G (AS_P3G)' },
  diur: {
    title: 'Diuretics (named "loop diuretics" by PINCER)',
    usedBy: 'AC (MO_P13)',
    issues:
      'Besides loop diuretics it holds potassium-sparing diuretics, thiazide-like diuretics and products that are not diuretics (degarelix, toremifene); pincer-loop-diuretic selects the loop diuretics.',
  },
  egfr: { title: 'Estimated glomerular filtration rate', usedBy: 'K (KI_P3K)' },
  electro: { title: 'Electrolytes tests', usedBy: 'AC (MO_P13)' },
  fbc: { title: 'Full blood count tests', usedBy: 'ME (MO_P15)' },
  gi_bleed: { title: 'Gastrointestinal bleeding', usedBy: 'B (GI_P3B), C (GI_P3C)' },
  hf: { title: 'Heart failure', usedBy: 'I (HF_P3I)' },
  lft: { title: 'Liver function tests', usedBy: 'ME (MO_P15)' },
  lith: { title: 'Lithium', usedBy: 'LI (MO_P17)' },
  lith_lev: { title: 'Lithium level tests', usedBy: 'LI (MO_P17)' },
  met: { title: 'Methotrexate, oral and parenteral', usedBy: 'ME (MO_P15)' },
  non_asp_antiplate: { title: 'Antiplatelets other than aspirin', usedBy: 'C (GI_P3C), F (GI_P3F)' },
  nsaid: {
    title: 'Oral NSAIDs',
    usedBy: 'A (GI_P3A), B (GI_P3B), D (GI_P3D), I (HF_P3I), K (KI_P3K)',
    issues:
      'Holds a few concepts for non-oral forms (eye drops, topical, rectal, parenteral) and combination products (ibuprofen/diphenhydramine and others, still oral NSAIDs); pincer-nsaid-curated removes the non-oral forms.',
  },
  nsbb: { title: 'Non-selective beta-blockers, eye drops included', usedBy: 'G (AS_P3G)' },
  pep: { title: 'Peptic ulcer', usedBy: 'B (GI_P3B), C (GI_P3C)' },
  ppi: {
    title: 'Ulcer-healing drugs (proton pump inhibitors and H2-receptor antagonists)',
    usedBy: 'A (GI_P3A), B (GI_P3B), C (GI_P3C), E (GI_P3E), F (GI_P3F)',
    issues:
      'Holds NSAID+PPI combination products, which are therefore both the NSAID and the gastroprotection (pincer-nsaid-curated takes them), and aspirin+omeprazole.',
  },
  renal: { title: 'Renal function tests', usedBy: 'AC (MO_P13)' },
  tft: { title: 'Thyroid function tests', usedBy: 'AM (MO_P18)' },
};

/** Matches every term: take the whole codelist. */
const EVERY_ROW: TermPattern = { pattern: /^/, why: 'every row of the codelist' };

/** Oral NSAID ingredients, for finding NSAID combination products in other codelists. */
const NSAID_INGREDIENTS: TermPattern = {
  pattern:
    /\b(aceclofenac|acemetacin|azapropazone|benorilate|benorylate|celecoxib|dexibuprofen|dexketoprofen|diclofenac|diflunisal|etodolac|etoricoxib|fenbufen|fenoprofen|flurbiprofen|ibuprofen|indometacin|indomethacin|ketoprofen|ketorolac|lornoxicam|lumiracoxib|mefenamic|meloxicam|nabumetone|naproxen|phenylbutazone|piroxicam|rofecoxib|sulindac|tenoxicam|tiaprofenic|tolfenamic|tolmetin|valdecoxib)\b/i,
  why: 'names an NSAID ingredient',
};

export const CURATION_RULES: readonly CurationRule[] = [
  {
    id: 'pincer-loop-diuretic',
    name: 'PincerLoopDiuretic',
    title: 'PINCER loop diuretics (curated from pincer/diur)',
    version: '1.0.0',
    rationale:
      'PINCER indicator AC is about loop diuretics, but pincer/diur also holds spironolactone, eplerenone, amiloride alone, metolazone, thiazide combinations, degarelix and toremifene (clinical-spec §1.6). This value set keeps the products that contain furosemide, bumetanide or torasemide, alone or combined (co-amilofruse, with potassium, with triamterene or spironolactone), by generic name or brand.',
    sources: [
      {
        codelist: 'diur',
        include: [
          {
            pattern: /\b(furosemide|frusemide)\b/i,
            why: 'furosemide (generic name; frusemide is the old British name)',
          },
          { pattern: /\bbumetanide\b/i, why: 'bumetanide (generic name)' },
          {
            pattern: /\b(torasemide|torsemide)\b/i,
            why: 'torasemide (generic name; torsemide is the US name)',
          },
          { pattern: /\bco-amilofruse\b/i, why: 'co-amilofruse = amiloride + furosemide' },
          { pattern: /\b(Lasix|Frusol|Frusid|Diuresal)\b/i, why: 'furosemide brand' },
          { pattern: /\bFroop\b/i, why: 'furosemide brand (Froop Co = co-amilofruse)' },
          { pattern: /\b(Lasikal|Diumide-K)\b/i, why: 'furosemide + potassium chloride brand' },
          { pattern: /\bFrusene\b/i, why: 'triamterene + furosemide brand' },
          { pattern: /\bLasilactone\b/i, why: 'spironolactone + furosemide brand' },
          {
            pattern: /\b(Frumil|Fru-Co|Komil|Lasoride)\b/i,
            why: 'co-amilofruse (amiloride + furosemide) brand',
          },
          {
            pattern: /\bBurinex\b/i,
            why: 'bumetanide brand (Burinex A = with amiloride, Burinex K = with potassium)',
          },
          { pattern: /\bTorem\b/i, why: 'torasemide brand (the word boundary keeps out toremifene)' },
        ],
        exclude: [
          {
            pattern: /\bnasal spray\b/i,
            why: 'furosemide nasal spray (micrograms a dose) is not systemic loop-diuretic therapy and does not call for renal and electrolyte monitoring; review',
          },
        ],
        listUnmatched: true,
      },
    ],
  },
  {
    id: 'pincer-nsaid-curated',
    name: 'PincerNsaidCurated',
    title: 'PINCER oral NSAIDs, NSAID+PPI combinations included (curated from pincer/nsaid and pincer/ppi)',
    version: '1.0.0',
    rationale:
      'PINCER indicators A, B, D, I and K are about oral NSAIDs. This value set is pincer/nsaid without the concepts for eye-drop, topical, rectal and parenteral forms (PINCER counts oral NSAIDs; the eye and skin forms carry no systemic NSAID risk, and the rectal and parenteral ones are outside the definition), plus the NSAID+PPI combination products found in pincer/ppi, so that a combination product counts as the NSAID as well as the gastroprotection (clinical-spec §1.6). Combination products that are still oral NSAIDs (ibuprofen/diphenhydramine, ibuprofen/codeine, diclofenac/misoprostol, naproxen/esomeprazole) stay. Misoprostol is not a PPI or H2-receptor antagonist, so diclofenac/misoprostol is an NSAID without gastroprotection in PINCER terms. Aspirin+omeprazole in pincer/ppi is left out: PINCER treats aspirin as an antiplatelet (pincer/aspirin), not as an NSAID.',
    sources: [
      {
        codelist: 'nsaid',
        include: [EVERY_ROW],
        exclude: [
          { pattern: /\b(eye drops|ophthalmic)\b/i, why: 'eye drops: not an oral NSAID' },
          { pattern: /\btopical\b/i, why: 'topical form: not an oral NSAID' },
          {
            pattern: /\brectal\b/i,
            why: 'rectal form: not an oral NSAID (systemic, but outside the PINCER definition; review)',
          },
          {
            pattern: /\bparenteral\b/i,
            why: 'parenteral form: not an oral NSAID (systemic, but outside the PINCER definition; review)',
          },
        ],
        listUnmatched: true,
      },
      {
        codelist: 'ppi',
        include: [
          NSAID_INGREDIENTS,
          {
            pattern: /\b(Vimovo|Axorid)\b/i,
            why: 'NSAID+PPI brand (Vimovo = naproxen/esomeprazole; Axorid = ketoprofen/omeprazole)',
          },
        ],
        exclude: [
          {
            pattern: /\baspirin\b/i,
            why: 'aspirin+omeprazole: aspirin is an antiplatelet in PINCER, not an NSAID',
          },
        ],
        listUnmatched: false,
      },
    ],
  },
  {
    id: 'pincer-ace-inhibitor',
    name: 'PincerAceInhibitor',
    title: 'PINCER ACE inhibitors (split from pincer/acei)',
    version: '1.0.0',
    rationale:
      'pincer/acei holds ACE inhibitors and ARBs together (clinical-spec §1.6). This value set holds its ACE inhibitors, alone or combined, so that cards can name the drug class correctly. Indicator AC itself keeps using the whole of pincer/acei, as PINCER does.',
    sources: [
      {
        codelist: 'acei',
        include: [
          {
            pattern:
              /\b(captopril|cilazapril|enalapril|fosinopril|imidapril|lisinopril|moexipril|perindopril|quinapril|ramipril|trandolapril|zofenopril)\b/i,
            why: 'names an ACE inhibitor ingredient',
          },
          { pattern: /\bco-zidocapt\b/i, why: 'co-zidocapt = hydrochlorothiazide + captopril' },
          {
            pattern: /\b(Capoten|Capozide|Acepril|Acezide|Captomex|Ecopace|Kaplon|Noyada|Tensopril)\b/i,
            why: 'captopril brand (alone or with hydrochlorothiazide)',
          },
          { pattern: /\bVascace\b/i, why: 'cilazapril brand' },
          {
            pattern: /\b(Innovace|Innozide|Pralenal)\b/i,
            why: 'enalapril brand (alone or with hydrochlorothiazide)',
          },
          { pattern: /\bStaril\b/i, why: 'fosinopril brand' },
          { pattern: /\bTanatril\b/i, why: 'imidapril brand' },
          {
            pattern: /\b(Carace|Caralpha|Lisicostad|Lisopress|Lisoretic|Zestril|Zestoretic)\b/i,
            why: 'lisinopril brand (alone or with hydrochlorothiazide)',
          },
          { pattern: /\bPerdix\b/i, why: 'moexipril brand' },
          { pattern: /\bCoversyl\b/i, why: 'perindopril brand (alone or with indapamide)' },
          {
            pattern: /\b(Accupro|Accuretic|Quinil)\b/i,
            why: 'quinapril brand (alone or with hydrochlorothiazide)',
          },
          { pattern: /\b(Tritace|Lopace|Triapin)\b/i, why: 'ramipril brand (Triapin = with felodipine)' },
          { pattern: /\b(Gopten|Odrik|Tarka)\b/i, why: 'trandolapril brand (Tarka = with verapamil)' },
          { pattern: /\bZofenil\b/i, why: 'zofenopril brand' },
        ],
        exclude: [],
        listUnmatched: false,
      },
    ],
  },
  {
    id: 'pincer-arb',
    name: 'PincerArb',
    title: 'PINCER angiotensin II receptor blockers (split from pincer/acei)',
    version: '1.0.0',
    rationale:
      'pincer/acei holds ACE inhibitors and ARBs together (clinical-spec §1.6). This value set holds its ARBs, alone or combined, so that cards can name the drug class correctly. Sacubitril/valsartan (Entresto) and aliskiren/valsartan are here because they contain an ARB. Indicator AC itself keeps using the whole of pincer/acei, as PINCER does.',
    sources: [
      {
        codelist: 'acei',
        include: [
          {
            pattern:
              /\b(azilsartan|candesartan|eprosartan|irbesartan|losartan|olmesartan|telmisartan|valsartan)\b/i,
            why: 'names an ARB ingredient',
          },
          { pattern: /\bEdarbi\b/i, why: 'azilsartan brand' },
          { pattern: /\bAmias\b/i, why: 'candesartan brand' },
          { pattern: /\bTeveten\b/i, why: 'eprosartan brand' },
          {
            pattern: /\b(Aprovel|CoAprovel|Co-Irbesartan|Ifirmasta|Sabervel)\b/i,
            why: 'irbesartan brand (alone or with hydrochlorothiazide)',
          },
          { pattern: /\bCozaar\b/i, why: 'losartan brand (Cozaar-Comp = with hydrochlorothiazide)' },
          {
            pattern: /\b(Olmetec|Sevikar)\b/i,
            why: 'olmesartan brand (Sevikar = with amlodipine, ± hydrochlorothiazide)',
          },
          {
            pattern: /\b(Micardis|MicardisPlus|Actelsar|Tolura|Tolucombi)\b/i,
            why: 'telmisartan brand (alone or with hydrochlorothiazide)',
          },
          {
            pattern: /\b(Diovan|Exforge|Entresto)\b/i,
            why: 'valsartan brand (Co-Diovan = with hydrochlorothiazide; Exforge = with amlodipine; Entresto = with sacubitril)',
          },
        ],
        exclude: [],
        listUnmatched: false,
      },
    ],
  },
  {
    id: 'pincer-warfarin',
    name: 'PincerWarfarin',
    title: 'PINCER warfarin (curated from pincer/anticoag)',
    version: '1.0.0',
    rationale:
      'The original PINCER trial measure 6 (clinical-spec §1.5; Avery et al., Trials 2009;10:28, Table 1) is about patients receiving warfarin for at least three months with no INR check in the previous 12 weeks. pincer/anticoag also holds the DOACs (apixaban, dabigatran, edoxaban, rivaroxaban), which are not monitored by INR, and the other vitamin K antagonists acenocoumarol and phenindione. This value set keeps the products whose term names warfarin, by generic name or brand (Marevan; Coumadin, an imported product), every form included. Acenocoumarol (Sinthrome) and phenindione are also INR-monitored but the trial measure names warfarin only; they are listed below for review.',
    sources: [
      {
        codelist: 'anticoag',
        include: [
          { pattern: /\bwarfarin\b/i, why: 'warfarin (generic name)' },
          { pattern: /\b(Marevan|Coumadin)\b/i, why: 'warfarin brand' },
        ],
        exclude: [],
        listUnmatched: true,
      },
    ],
  },
];

export const PARTITION_CHECKS: readonly PartitionCheck[] = [
  {
    codelist: 'acei',
    parts: ['pincer-ace-inhibitor', 'pincer-arb'],
    remainder: [
      {
        pattern: /\b(aliskiren|Rasilez)\b/i,
        why: 'aliskiren alone: a direct renin inhibitor, neither an ACE inhibitor nor an ARB',
      },
    ],
  },
];
