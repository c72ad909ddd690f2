/**
 * Groundwork for consolidation (issue 19): which rule decides that two memories are duplicates
 * to merge? Run with `node --import tsx bench/consolidation-thresholds.ts`.
 *
 * Every text of `bench/data/consolidation-pairs.jsonl` is embedded with the default local
 * embedder (Universal Sentence Encoder lite, shipped in npm; one worker thread), and candidate
 * rules are scored against the labels:
 *
 * - `cos`: cosine similarity of the two memories' vectors ≥ t;
 * - `+jaccard`, `+containment`: and a lexical overlap of content words (stop words, lead-ins
 *   such as "Note:", case and simple suffixes aside) ≥ a floor;
 * - `+numbers`: and the numbers and dates of both texts are equal ("3pm" = "15:00");
 * - `+guards`: and their numbers, dates, negation and named entities agree;
 * - `+polarity`: the guards, counting negative words (dislike, cancel, …) with negations;
 * - `+order`: the guards, and the entities both name come in the same order (role swaps);
 *   `+wordorder`: and so do all the content words both hold ("from A to B", "from B to A");
 * - `+edit`: a pair that differs in one or two content words only (a minimal edit) must have
 *   those words mean the same (the cosine of the swapped words' own vectors ≥ a floor).
 *
 * A merge is right only on a `duplicate` pair; merging a `different` or an `update` pair loses
 * information. For each rule the script reports merge precision (against `different` alone and
 * against both kinds of negative), recall of duplicates, and the share of `different` and
 * `update` pairs it would merge; then the settings of each rule with merge precision ≥ 0.98 and
 * the best recall, chosen once on the whole set and once on half of the fact families (and
 * checked on the other half, so template leakage shows). It prints tables and the errors of the
 * proposed default rule, and writes `bench/out/consolidation-thresholds.json`.
 *
 * `--pairs FILE` reads another set; `--out FILE` writes the JSON elsewhere; `--features FILE`
 * also writes every pair's features (JSON Lines). Vectors are cached under
 * `bench/out/cache/`, keyed by the texts.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The engine's analysis of a text (core/consolidation-rule.ts): the study compares rules built on it.
import { analyseText, capitalisationOf, clean, jaccard, NEGATIONS, sameOrder, USER, wordTokens, type TextAnalysis } from '../src/core/consolidation-rule.js';
import { LOCAL_EMBEDDER_ID, LocalEmbedder } from '../src/embed/index.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const OUT_DIR = join(BENCH_DIR, 'out');
const MIN_PRECISION = 0.98;

type Label = 'duplicate' | 'different' | 'update';

interface Pair {
  id: string;
  a: string;
  b: string;
  label: Label;
  subject?: string;
  note?: string;
}

// ---- arguments and data ---------------------------------------------------------------------

const argValue = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const pairsFile = argValue('--pairs') ?? join(BENCH_DIR, 'data', 'consolidation-pairs.jsonl');
const outFile = argValue('--out') ?? join(OUT_DIR, 'consolidation-thresholds.json');

const pairs: Pair[] = (await readFile(pairsFile, 'utf8'))
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line, i) => {
    const p = JSON.parse(line) as Pair;
    if (typeof p.a !== 'string' || typeof p.b !== 'string' || !['duplicate', 'different', 'update'].includes(p.label)) throw new Error(`line ${i + 1}: not a pair`);
    return p;
  });
const byLabel = (label: Label): Pair[] => pairs.filter((p) => p.label === label);
progress(`${pairs.length} pairs: ${byLabel('duplicate').length} duplicate, ${byLabel('different').length} different, ${byLabel('update').length} update`);

// ---- lexical analysis -----------------------------------------------------------------------

/** Words whose meaning turns a statement negative: counted with negations by the polarity guard. */
const NEGATIVE_STEMS = ['dislik', 'hate', 'avoid', 'refus', 'stopp', 'quit', 'cancel', 'fail', 'reject', 'against', 'lack', 'skipp', 'gave up'];

/** The engine's analysis of a text, with what only the study's rules read. */
interface Analysis extends TextAnalysis {
  /** Stemmed content words only (no numbers, dates or number words, not the user). */
  words: ReadonlySet<string>;
  /** Negations plus negative words, counted. */
  negativeCount: number;
}

/** What the texts themselves say about capitals, as a consolidation pass reads the texts it examines. */
const capitals = capitalisationOf(pairs.flatMap((p) => [p.a, p.b]));

function analyse(text: string): Analysis {
  const rule = analyseText(text, capitals);
  const lower = wordTokens(clean(text)).map((t) => t.toLowerCase());
  const l = ` ${lower.join(' ')} `;
  const negativeCount = lower.filter((w) => NEGATIONS.has(w)).length + NEGATIVE_STEMS.filter((s) => (s.includes(' ') ? l.includes(` ${s} `) : lower.some((w) => w.startsWith(s)))).length;
  const words = new Set([...rule.content].filter((w) => w !== USER && !w.startsWith('#')));
  return { ...rule, words, negativeCount };
}

const containment = (x: ReadonlySet<string>, y: ReadonlySet<string>): number => {
  const inter = [...x].filter((v) => y.has(v)).length;
  const smaller = Math.min(x.size, y.size);
  return smaller === 0 ? 1 : inter / smaller;
};
const sameSet = (x: ReadonlySet<string>, y: ReadonlySet<string>): boolean => x.size === y.size && [...x].every((v) => y.has(v));
const minus = (x: ReadonlySet<string>, y: ReadonlySet<string>): string[] => [...x].filter((v) => !y.has(v));

// ---- embeddings -----------------------------------------------------------------------------

/** Vectors for `texts` (unit length), from the cache when the same texts were embedded before. */
async function embedAll(texts: readonly string[]): Promise<Map<string, Float32Array>> {
  const key = createHash('sha256').update(LOCAL_EMBEDDER_ID).update('\u0000').update(texts.join('\u0000')).digest('hex').slice(0, 16);
  const cacheFile = join(OUT_DIR, 'cache', `consolidation-${key}.f32`);
  let flat: Float32Array;
  if (existsSync(cacheFile)) {
    const buffer = await readFile(cacheFile);
    flat = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
    progress(`vectors of ${texts.length} texts from ${relative(process.cwd(), cacheFile)}`);
  } else {
    // One worker: another job may share the machine, and 2,000 short texts take well under a minute.
    const embedder = new LocalEmbedder({ poolSize: 1 });
    const started = performance.now();
    try {
      const vectors: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += 64) vectors.push(...(await embedder.embed(texts.slice(i, i + 64))));
      flat = new Float32Array(texts.length * embedder.dimension);
      vectors.forEach((v, i) => flat.set(v, i * embedder.dimension));
    } finally {
      await embedder.close();
    }
    progress(`embedded ${texts.length} texts with ${LOCAL_EMBEDDER_ID} in ${((performance.now() - started) / 1000).toFixed(1)} s (one worker)`);
    await mkdir(dirname(cacheFile), { recursive: true });
    await writeFile(cacheFile, Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength));
  }
  const dimension = flat.length / texts.length;
  return new Map(texts.map((t, i) => [t, flat.subarray(i * dimension, (i + 1) * dimension)]));
}

const cosine = (x: Float32Array, y: Float32Array): number => {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i]! * y[i]!;
    nx += x[i]! * x[i]!;
    ny += y[i]! * y[i]!;
  }
  return dot / Math.sqrt(nx * ny);
};

// ---- features -------------------------------------------------------------------------------

interface Features {
  pair: Pair;
  cos: number;
  jaccard: number;
  containment: number;
  numbersMatch: boolean;
  negationMatch: boolean;
  polarityMatch: boolean;
  entitiesMatch: boolean;
  /** The entities both texts name appear in the same order (a swap of roles changes it). */
  orderMatch: boolean;
  /** The content words both texts hold appear in the same order ("from A to B" against "from B to A"). */
  wordOrderMatch: boolean;
  /** Content words only one side has (the swapped words of a minimal edit). */
  onlyA: string[];
  onlyB: string[];
  /** Cosine between the swapped words of a minimal edit (1 when the pair is not one). */
  swapCos: number;
  /** Family of the pair (`domain/family`, or `hand-N` for hand-written pairs) for the split. */
  group: string;
}

const MAX_EDIT_WORDS = 2;
const analyses = new Map<string, Analysis>();
const analysisOf = (text: string): Analysis => {
  let a = analyses.get(text);
  if (a === undefined) analyses.set(text, (a = analyse(text)));
  return a;
};
const isMinimalEdit = (onlyA: string[], onlyB: string[]): boolean => onlyA.length + onlyB.length > 0 && onlyA.length <= MAX_EDIT_WORDS && onlyB.length <= MAX_EDIT_WORDS;

// The swapped words of minimal edits are embedded too (a short string of one or two words).
const edits = pairs.map((p) => {
  const x = analysisOf(p.a);
  const y = analysisOf(p.b);
  return { onlyA: minus(x.words, y.words), onlyB: minus(y.words, x.words) };
});
const swapText = (words: string[]): string => (words.length === 0 ? '(none)' : words.join(' '));
const texts = [...new Set([...pairs.flatMap((p) => [p.a, p.b]), ...edits.flatMap((e) => (isMinimalEdit(e.onlyA, e.onlyB) ? [swapText(e.onlyA), swapText(e.onlyB)] : []))])];
const vectors = await embedAll(texts);
const vectorOf = (text: string): Float32Array => vectors.get(text) ?? (() => { throw new Error(`no vector for ${text}`); })();

const features: Features[] = pairs.map((pair, i) => {
  const x = analysisOf(pair.a);
  const y = analysisOf(pair.b);
  const { onlyA, onlyB } = edits[i]!;
  const entityIn = (ents: ReadonlySet<string>, other: Analysis): boolean => [...ents].every((e) => other.all.has(e) || other.entities.has(e));
  const family = /^(\S+?)\/(\S+)/.exec(pair.note ?? '');
  const group = family?.[2] === 'hand' ? `hand-${Number(pair.id.replace(/\D/g, '')) % 4}` : (family?.[0] ?? pair.id);
  return {
    pair,
    cos: cosine(vectorOf(pair.a), vectorOf(pair.b)),
    jaccard: jaccard(x.content, y.content),
    containment: containment(x.content, y.content),
    numbersMatch: sameSet(x.numbers, y.numbers),
    negationMatch: x.negated === y.negated,
    polarityMatch: x.negativeCount % 2 === y.negativeCount % 2,
    entitiesMatch: entityIn(x.entities, y) && entityIn(y.entities, x),
    orderMatch: sameOrder(x.entityOrder, y.entityOrder),
    wordOrderMatch: sameOrder(x.sequence, y.sequence),
    onlyA,
    onlyB,
    swapCos: isMinimalEdit(onlyA, onlyB) ? cosine(vectorOf(swapText(onlyA)), vectorOf(swapText(onlyB))) : 1,
    group,
  };
});

// ---- rules ----------------------------------------------------------------------------------

interface Rule {
  /** Family of rules, e.g. `cos+guards+jaccard`. */
  family: string;
  /** The settings, e.g. `{cos: 0.8, jaccard: 0.3}`. */
  params: Record<string, number>;
  merges: (f: Features) => boolean;
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to + 1e-9; v += step) out.push(Math.round(v * 1000) / 1000);
  return out;
};
const COS = range(0.3, 0.99, 0.01);
const OVERLAP = range(0.1, 1, 0.1);
const SWAP = [0.3, 0.4, 0.5, 0.6, 0.7];

type Guard = (f: Features) => boolean;
const GUARDS: Record<string, Guard> = {
  '': () => true,
  '+guards': (f) => f.numbersMatch && f.negationMatch && f.entitiesMatch,
  '+polarity': (f) => f.numbersMatch && f.polarityMatch && f.entitiesMatch,
  '+numbers': (f) => f.numbersMatch,
  '+guards+order': (f) => f.numbersMatch && f.negationMatch && f.entitiesMatch && f.orderMatch,
  '+polarity+order': (f) => f.numbersMatch && f.polarityMatch && f.entitiesMatch && f.orderMatch,
  '+guards+wordorder': (f) => f.numbersMatch && f.negationMatch && f.entitiesMatch && f.orderMatch && f.wordOrderMatch,
};

const rules: Rule[] = [];
for (const [guardName, guard] of Object.entries(GUARDS)) {
  for (const t of COS) {
    rules.push({ family: `cos${guardName}`, params: { cos: t }, merges: (f) => f.cos >= t && guard(f) });
    for (const j of OVERLAP) {
      rules.push({ family: `cos${guardName}+jaccard`, params: { cos: t, jaccard: j }, merges: (f) => f.cos >= t && f.jaccard >= j && guard(f) });
      rules.push({ family: `cos${guardName}+containment`, params: { cos: t, containment: j }, merges: (f) => f.cos >= t && f.containment >= j && guard(f) });
    }
    if (guardName.startsWith('+guards') || guardName.startsWith('+polarity')) {
      for (const s of SWAP) rules.push({ family: `cos${guardName}+edit`, params: { cos: t, swap: s }, merges: (f) => f.cos >= t && f.swapCos >= s && guard(f) });
    }
  }
}

interface Score {
  merged: number;
  truePositives: number;
  /** Different pairs merged. */
  falseDifferent: number;
  /** Update pairs merged. */
  falseUpdate: number;
  duplicates: number;
  differents: number;
  updates: number;
  /** TP / (TP + different merged). */
  precisionVsDifferent: number;
  /** TP / (TP + different merged + update merged): the merge precision. */
  precision: number;
  /** Wilson 95% lower bound of `precision`. */
  precisionLow: number;
  recall: number;
  f1: number;
  differentMergeRate: number;
  updateMergeRate: number;
  /** Recall of each kind of duplicate: `verbatim` (same template, surface changes), `paraphrase` (templates), `hand` (hand-written). */
  recallByKind: Record<string, number>;
}

/** `verbatim`, `paraphrase` or `hand` for a duplicate; the kind of difference for a negative (`different-relation`, `update-changed`). */
function kindOf(f: Features): string {
  const note = f.pair.note ?? '';
  if (f.pair.label === 'duplicate') return note.includes('/hand ') ? 'hand' : note.includes('verbatim') ? 'verbatim' : 'paraphrase';
  return /\s(\S+?)(?::|$)/.exec(note)?.[1] ?? f.pair.label;
}

function score(rule: Rule, set: readonly Features[]): Score {
  let tp = 0;
  let fd = 0;
  let fu = 0;
  let duplicates = 0;
  let differents = 0;
  let updates = 0;
  const kinds: Record<string, [number, number]> = {};
  for (const f of set) {
    const merged = rule.merges(f);
    if (f.pair.label === 'duplicate') {
      duplicates++;
      if (merged) tp++;
      const k = (kinds[kindOf(f)] ??= [0, 0]);
      k[1]++;
      if (merged) k[0]++;
    } else if (f.pair.label === 'different') {
      differents++;
      if (merged) fd++;
    } else {
      updates++;
      if (merged) fu++;
    }
  }
  const merged = tp + fd + fu;
  const precision = merged === 0 ? 1 : tp / merged;
  const recall = duplicates === 0 ? 0 : tp / duplicates;
  return {
    merged,
    truePositives: tp,
    falseDifferent: fd,
    falseUpdate: fu,
    duplicates,
    differents,
    updates,
    precisionVsDifferent: tp + fd === 0 ? 1 : tp / (tp + fd),
    precision,
    precisionLow: wilsonLow(tp, merged),
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    differentMergeRate: differents === 0 ? 0 : fd / differents,
    updateMergeRate: updates === 0 ? 0 : fu / updates,
    recallByKind: Object.fromEntries(Object.entries(kinds).sort().map(([k, [hit, n]]) => [k, hit / n])),
  };
}

function wilsonLow(successes: number, n: number): number {
  if (n === 0) return 0;
  const z = 1.96;
  const p = successes / n;
  const centre = p + (z * z) / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return (centre - margin) / (1 + (z * z) / n);
}

/** The rule of `family` with merge precision ≥ the floor and the best recall on `set` (ties: higher precision, then the strictest settings). */
function best(family: string, set: readonly Features[]): { rule: Rule; score: Score } | undefined {
  let chosen: { rule: Rule; score: Score } | undefined;
  for (const rule of rules.filter((r) => r.family === family)) {
    const s = score(rule, set);
    if (s.precision < MIN_PRECISION || s.truePositives === 0) continue;
    // The grid runs from loose to strict, so `>=` keeps the strictest of equal settings.
    if (chosen === undefined || s.recall > chosen.score.recall || (s.recall === chosen.score.recall && s.precision >= chosen.score.precision)) chosen = { rule, score: s };
  }
  return chosen;
}

// ---- the study ------------------------------------------------------------------------------

// Split by fact family (and hand-written pairs in four groups), so a threshold chosen on one
// half is checked on families whose templates it never saw.
const groups = [...new Set(features.map((f) => f.group))].sort();
let seed = 0x1919;
const random = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const devGroups = new Set(groups.map((g) => ({ g, r: random() })).sort((x, y) => x.r - y.r).slice(0, Math.ceil(groups.length / 2)).map((x) => x.g));
const dev = features.filter((f) => devGroups.has(f.group));
const test = features.filter((f) => !devGroups.has(f.group));

const families = [...new Set(rules.map((r) => r.family))];
const summary = families.map((family) => {
  const all = best(family, features);
  const onDev = best(family, dev);
  return {
    family,
    all: all && { params: all.rule.params, ...all.score },
    split: onDev && { params: onDev.rule.params, dev: onDev.score, test: score(onDev.rule, test) },
  };
});

// The best of the grid: among rules that keep precision ≥ the floor on the whole set AND, chosen
// on the dev half, on the test half, the best recall on the whole set.
const eligible = summary.filter((s) => s.all !== undefined && s.split !== undefined && s.split.test.precision >= MIN_PRECISION);
const bestOfGrid = [...eligible].sort((x, y) => y.all!.recall - x.all!.recall || y.all!.precision - x.all!.precision)[0];

// The proposed default: the same content words in the same order, numbers, dates, negation and
// entities equal. The cosine floor sits below the grid's edge (0.66, where a lower-cased copy of a
// memory lands) because it only picks the candidates; the lexical check and the guards decide.
const PROPOSED = { family: 'cos+guards+wordorder+jaccard', params: { cos: 0.6, jaccard: 1 } };
const proposedRule = rules.find((r) => r.family === PROPOSED.family && sameParams(r.params, PROPOSED.params));
if (proposedRule === undefined) throw new Error('the proposed rule is not in the grid');
const proposed = { ...PROPOSED, all: score(proposedRule, features), dev: score(proposedRule, dev), test: score(proposedRule, test) };

function sameParams(x: Record<string, number>, y: Record<string, number>): boolean {
  return Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
}

// The cosine-only sweep, the baseline every other rule is measured against.
const sweep = range(0.6, 0.99, 0.01).map((t) => ({ cos: t, ...score(rules.find((r) => r.family === 'cos' && r.params.cos === t)!, features) }));
const guardedSweep = range(0.6, 0.99, 0.01).map((t) => ({ cos: t, ...score(rules.find((r) => r.family === 'cos+guards' && r.params.cos === t)!, features) }));

// Where the labels sit: cosine quantiles per label and per kind of pair.
const quantiles = (values: number[]): Record<string, number> => {
  const sorted = [...values].sort((x, y) => x - y);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return { n: sorted.length, min: sorted[0] ?? Number.NaN, p10: q(0.1), p50: q(0.5), p90: q(0.9), max: sorted[sorted.length - 1] ?? Number.NaN };
};
const distribution = Object.fromEntries(
  [...new Set(features.map(kindOf))].sort().map((kind) => [kind, { ...quantiles(features.filter((f) => kindOf(f) === kind).map((f) => f.cos)), guardsPass: features.filter((f) => kindOf(f) === kind && GUARDS['+guards']!(f)).length }]),
);

// Errors of the proposed default.
const describe = (f: Features): Record<string, unknown> => ({
  id: f.pair.id,
  label: f.pair.label,
  note: f.pair.note,
  a: f.pair.a,
  b: f.pair.b,
  cos: round(f.cos),
  jaccard: round(f.jaccard),
  numbersMatch: f.numbersMatch,
  negationMatch: f.negationMatch,
  entitiesMatch: f.entitiesMatch,
  orderMatch: f.orderMatch,
  wordOrderMatch: f.wordOrderMatch,
  swap: isMinimalEdit(f.onlyA, f.onlyB) ? `${swapText(f.onlyA)} / ${swapText(f.onlyB)} (${round(f.swapCos)})` : undefined,
});
const wrongMerges = features.filter((f) => f.pair.label !== 'duplicate' && proposedRule.merges(f));
const missed = features.filter((f) => f.pair.label === 'duplicate' && !proposedRule.merges(f));
/** Each missed duplicate counts under every check it fails. */
const whyMissed = {
  cosineBelow: missed.filter((f) => f.cos < PROPOSED.params.cos).length,
  contentWordsDiffer: missed.filter((f) => f.jaccard < PROPOSED.params.jaccard).length,
  numbers: missed.filter((f) => !f.numbersMatch).length,
  negation: missed.filter((f) => !f.negationMatch).length,
  entities: missed.filter((f) => !f.entitiesMatch).length,
  order: missed.filter((f) => !f.orderMatch).length,
  wordOrder: missed.filter((f) => !f.wordOrderMatch).length,
  onlyContentWordsDiffer: missed.filter((f) => f.jaccard < PROPOSED.params.jaccard && f.cos >= PROPOSED.params.cos && GUARDS['+guards+wordorder']!(f)).length,
};
// How precision and recall move with the lexical floor and the cosine floor, guards and order on.
const FRONTIER_COS = [0.5, 0.6, 0.7, 0.8, 0.9];
const frontier = OVERLAP.filter((j) => j >= 0.5).map((j) => ({
  jaccard: j,
  byCos: FRONTIER_COS.map((t) => ({ cos: t, ...score(rules.find((r) => r.family === 'cos+guards+order+jaccard' && r.params.jaccard === j && r.params.cos === t)!, features) })),
}));

// What each kind of pair does under a few reference rules: recall of each kind of duplicate, share
// of each kind of negative merged.
const findRule = (family: string, params: Record<string, number>): Rule | undefined => rules.find((r) => r.family === family && sameParams(r.params, params));
const references: { name: string; rule: Rule | undefined }[] = [
  { name: 'cos≥0.80', rule: findRule('cos', { cos: 0.8 }) },
  { name: 'cos≥0.90', rule: findRule('cos', { cos: 0.9 }) },
  { name: 'cos≥0.80+guards', rule: findRule('cos+guards', { cos: 0.8 }) },
  { name: '+order+jac≥0.8', rule: findRule('cos+guards+order+jaccard', { cos: 0.6, jaccard: 0.8 }) },
  { name: '+order+jac≥1', rule: findRule('cos+guards+order+jaccard', { cos: 0.6, jaccard: 1 }) },
  { name: 'proposed', rule: proposedRule },
];
const kinds = [...new Set(features.map(kindOf))].sort((x, y) => Number(y === 'verbatim' || y === 'paraphrase' || y === 'hand') - Number(x === 'verbatim' || x === 'paraphrase' || x === 'hand') || x.localeCompare(y));
const byKindTable = kinds.map((kind) => {
  const set = features.filter((f) => kindOf(f) === kind);
  return { kind, pairs: set.length, merged: Object.fromEntries(references.map((r) => [r.name, r.rule ? set.filter((f) => r.rule!.merges(f)).length / set.length : Number.NaN])) };
});

// The negatives with the highest cosine: what a pure threshold has to get past.
const hardestNegatives = features.filter((f) => f.pair.label !== 'duplicate').sort((x, y) => y.cos - x.cos).slice(0, 25);

// ---- output ---------------------------------------------------------------------------------

const pct = (v: number): string => (v * 100).toFixed(1).padStart(5);
const paramText = (p: Record<string, number> | undefined): string => (p === undefined ? '-' : Object.entries(p).map(([k, v]) => `${k}≥${v}`).join(' '));
const byKind = (sc: Score): string => ['verbatim', 'paraphrase', 'hand'].map((k) => pct(sc.recallByKind[k] ?? 0)).join(' ');
function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

console.log(`\nCosine alone (USE lite) over ${features.length} pairs: merge precision P (vs all negatives), P vs different only, recall R, share of different / update pairs merged`);
console.log('  cos   merged   P(all)  P(diff)   R     diff%  upd%  | R verb  para  hand');
for (const row of sweep.filter((r) => Math.round(r.cos * 100) % 2 === 0 || r.cos >= 0.9)) {
  console.log(`  ${row.cos.toFixed(2)}  ${String(row.merged).padStart(5)}   ${pct(row.precision)}   ${pct(row.precisionVsDifferent)}  ${pct(row.recall)}  ${pct(row.differentMergeRate)} ${pct(row.updateMergeRate)}  | ${byKind(row)}`);
}
console.log('\nCosine with the guards (numbers/dates, negation, entities must agree)');
console.log('  cos   merged   P(all)  P(diff)   R     diff%  upd%  | R verb  para  hand');
for (const row of guardedSweep.filter((r) => Math.round(r.cos * 100) % 2 === 0 || r.cos >= 0.9)) {
  console.log(`  ${row.cos.toFixed(2)}  ${String(row.merged).padStart(5)}   ${pct(row.precision)}   ${pct(row.precisionVsDifferent)}  ${pct(row.recall)}  ${pct(row.differentMergeRate)} ${pct(row.updateMergeRate)}  | ${byKind(row)}`);
}

console.log(`\nBest setting of each rule with merge precision ≥ ${MIN_PRECISION} (all negatives), whole set; then chosen on the dev half of families, scored on the test half`);
const header = `${'rule'.padEnd(24)} ${'settings (whole set)'.padEnd(30)} P(all)  P-low  P(diff)   R   diff%  upd% R:verb  para  hand | ${'settings (dev)'.padEnd(30)} test P test R`;
console.log(header);
for (const s of summary) {
  const a = s.all;
  const sp = s.split;
  console.log(
    `${s.family.padEnd(24)} ${paramText(a?.params).padEnd(30)} ${a ? `${pct(a.precision)}  ${pct(a.precisionLow)}  ${pct(a.precisionVsDifferent)}  ${pct(a.recall)} ${pct(a.differentMergeRate)} ${pct(a.updateMergeRate)} ${byKind(a)}` : '  (no setting reaches the floor)'.padEnd(66)} | ${paramText(sp?.params).padEnd(30)} ${sp ? `${pct(sp.test.precision)}  ${pct(sp.test.recall)}` : ''}`,
  );
}

console.log('\nThe lexical floor against the cosine floor (guards and order on): merge precision P / recall R, in %');
console.log(`  jaccard ${FRONTIER_COS.map((t) => `cos≥${t.toFixed(1)}`.padStart(15)).join('')}`);
for (const row of frontier) console.log(`  ${`≥${row.jaccard.toFixed(1)}`.padStart(7)} ${row.byCos.map((c) => `${pct(c.precision)} / ${pct(c.recall)}`.padStart(15)).join('')}`);

console.log('\nShare of each kind of pair merged (duplicates: recall; the rest: wrong merges); "+order+jac" columns are cos≥0.6 with the guards, the entity order and the Jaccard floor; "proposed" adds the word order');
console.log(`  ${'kind'.padEnd(22)} pairs ${references.map((r) => r.name.padStart(Math.max(9, r.name.length))).join(' ')}`);
for (const row of byKindTable) console.log(`  ${row.kind.padEnd(22)} ${String(row.pairs).padStart(5)} ${references.map((r) => `${pct(row.merged[r.name] ?? Number.NaN)}%`.padStart(Math.max(9, r.name.length))).join(' ')}`);

if (bestOfGrid) console.log(`\nBest of the grid: ${bestOfGrid.family} ${paramText(bestOfGrid.all!.params)} (precision ${pct(bestOfGrid.all!.precision)}%, recall ${pct(bestOfGrid.all!.recall)}%)`);
{
  const a = proposed.all;
  console.log(`Proposed default: ${proposed.family} ${paramText(proposed.params)}: precision ${pct(a.precision)}% (Wilson 95% low ${pct(a.precisionLow)}%), recall ${pct(a.recall)}%; ${a.falseDifferent}/${a.differents} different and ${a.falseUpdate}/${a.updates} update pairs merged`);
  console.log(`  dev half: precision ${pct(proposed.dev.precision)}%, recall ${pct(proposed.dev.recall)}%; test half: precision ${pct(proposed.test.precision)}%, recall ${pct(proposed.test.recall)}%`);
  console.log(`  recall by kind of duplicate: ${Object.entries(a.recallByKind).map(([k, v]) => `${k} ${pct(v)}%`).join(', ')}`);
  console.log(`  missed duplicates: ${missed.length}; failing each check: cosine ${whyMissed.cosineBelow}, content words ${whyMissed.contentWordsDiffer}, numbers/dates ${whyMissed.numbers}, negation ${whyMissed.negation}, entities ${whyMissed.entities}, entity order ${whyMissed.order}, word order ${whyMissed.wordOrder}; only the content words: ${whyMissed.onlyContentWordsDiffer}`);
  console.log(`  wrong merges: ${wrongMerges.length}`);
  for (const f of wrongMerges) console.log(`    ${f.pair.id} ${f.pair.label} ${f.pair.note ?? ''} cos ${f.cos.toFixed(3)}\n      a: ${f.pair.a}\n      b: ${f.pair.b}`);
}
console.log('\nNegatives with the highest cosine:');
for (const f of hardestNegatives.slice(0, 12)) console.log(`  ${f.cos.toFixed(3)} ${f.pair.label.padEnd(9)} guards ${GUARDS['+guards']!(f) ? 'pass' : 'stop'}  ${f.pair.a}  |  ${f.pair.b}`);

const result = {
  date: new Date().toISOString(),
  command: `node --import tsx ${relative(process.cwd(), fileURLToPath(import.meta.url))}${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  embedder: LOCAL_EMBEDDER_ID,
  pairsFile: relative(process.cwd(), pairsFile),
  composition: { pairs: pairs.length, duplicate: byLabel('duplicate').length, different: byLabel('different').length, update: byLabel('update').length },
  minPrecision: MIN_PRECISION,
  split: { devGroups: [...devGroups].sort(), dev: dev.length, test: test.length },
  bestOfGrid: bestOfGrid && { family: bestOfGrid.family, ...bestOfGrid.all, split: bestOfGrid.split },
  proposed,
  rules: summary,
  cosineSweep: sweep,
  guardedCosineSweep: guardedSweep,
  cosineByKind: distribution,
  lexicalFrontier: frontier,
  mergedByKind: { rules: references.map((r) => ({ name: r.name, family: r.rule?.family, params: r.rule?.params })), kinds: byKindTable },
  proposedErrors: { wrongMerges: wrongMerges.map(describe), whyMissed, missed: missed.map(describe) },
  hardestNegatives: hardestNegatives.map(describe),
};
await mkdir(dirname(outFile), { recursive: true });
await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);
const featuresFile = argValue('--features');
if (featuresFile !== undefined) {
  await writeFile(featuresFile, features.map((f) => JSON.stringify({ ...describe(f), containment: round(f.containment), polarityMatch: f.polarityMatch, onlyA: f.onlyA, onlyB: f.onlyB, swapCos: round(f.swapCos), group: f.group })).join('\n') + '\n');
  progress(`wrote the features of every pair to ${relative(process.cwd(), featuresFile)}`);
}
progress(`wrote ${relative(process.cwd(), outFile)}`);

function progress(message: string): void {
  process.stderr.write(`[consolidation] ${message}\n`);
}
