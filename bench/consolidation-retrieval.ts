/**
 * Retrieval with and without consolidation (issue 19, part of `bench/consolidation.ts`), on the
 * evaluation set `bench/data/eval-set.jsonl`:
 *
 * - **original**: its 240 memories, each once;
 * - **repeats**: each memory (fact) stored 1 to 5 times (a seeded choice), the copies being the
 *   original text and variants of it: near-verbatim repeats (a lead-in such as "Note:" or "FYI,",
 *   lower case, the final full stop dropped or added, another format of a time, a date or an
 *   amount: "14:30" / "2:30pm", "19 August" / "August 19", "5,000 pounds" / "£5,000") and
 *   paraphrases (sentences or clauses in another order, a few words swapped for synonyms, or the
 *   fact reported: "Dana mentioned that ..."), stored in a shuffled order as an agent would over
 *   time;
 * - **consolidated**: the same space after one consolidation pass at the defaults.
 *
 * Relevance follows the facts: a copy of a relevant memory is relevant the first time its fact
 * appears in a ranking; further copies of a fact already found count as non-relevant, so repeats
 * crowding the top 10 cost what they cost a user (`ndcgAt` and `recallAt` of src/eval/metrics.ts
 * over the rankings mapped to fact ids, where a repeated id gains nothing).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadConfig } from '../src/config.js';
import { readEvalSet, type EvalMemory, type EvalSet } from '../src/eval/eval-set.js';
import { NDCG_K, ndcgAt, recallAt } from '../src/eval/metrics.js';
import { openMemspace, type Memspace } from '../src/memspace.js';
import { mulberry32 } from './prng.js';

const EVAL_SET = join(dirname(fileURLToPath(import.meta.url)), 'data', 'eval-set.jsonl');
const MODES = ['hybrid', 'vector', 'keyword'] as const;
type Mode = (typeof MODES)[number];
const SEED = 0x19_e7a1;
/** Of the copies beyond the first, the share that are near-verbatim repeats (the rest are paraphrases). */
const NEAR_VERBATIM_SHARE = 0.6;

/** nDCG@10 and recall@10 of one mode. */
export interface RetrievalScores {
  ndcg10: number;
  recall10: number;
  /** Mean number of distinct facts among the first 10 results. */
  distinctFacts10: number;
}

/** One condition: its memories and the scores of each mode. */
export interface RetrievalCondition {
  memories: number;
  scores: Record<Mode, RetrievalScores>;
}

/** Figures of {@link benchRetrieval}. */
export interface RetrievalFigures {
  facts: number;
  queries: number;
  /** Copies stored, by kind: the original text, near-verbatim repeats, paraphrases. */
  copies: { original: number; nearVerbatim: number; paraphrase: number };
  original: RetrievalCondition;
  repeats: RetrievalCondition;
  consolidated: RetrievalCondition;
  pass: {
    examined: number;
    merged: number;
    /** Merged copies by kind (a copy of a fact merged into another copy of the same fact). */
    mergedNearVerbatim: number;
    mergedParaphrase: number;
    /** Copies whose text is the original merged into another copy of their fact (the survivor was a variant stored earlier). */
    mergedOriginal: number;
    /** Merges of a memory into a memory of another fact: information lost. */
    mergedAcrossFacts: { kept: string; merged: string }[];
    ms: number;
  };
}

type CopyKind = 'original' | 'nearVerbatim' | 'paraphrase';

interface Copy {
  id: string;
  fact: string;
  kind: CopyKind;
  content: string;
  tags: string[];
  metadata: Record<string, unknown>;
}

/** Runs the three conditions in one memspace (temporary directory, default local embedder). */
export async function benchRetrieval(options: { progress?: (line: string) => void } = {}): Promise<RetrievalFigures> {
  const set = await readEvalSet(EVAL_SET);
  const copies = repeatedCopies(set.memories);
  const dataDir = await mkdtemp(join(tmpdir(), 'memspace-bench-consolidation-eval-'));
  const ms = await openMemspace(loadConfig({ dataDir, sync: 'normal' }, {}));
  try {
    await ms.spaces.create({ name: 'original' });
    await ms.spaces.create({ name: 'repeats' });
    await addAll(ms, 'original', set.memories.map((m) => ({ id: m.id, content: m.content, tags: m.tags, metadata: m.metadata })));
    // One at a time, in the shuffled order: creation times follow it, so the oldest copy survives a merge.
    for (const c of copies) await ms.memories.add('repeats', { id: c.id, content: c.content, tags: c.tags, metadata: c.metadata });
    options.progress?.(`consolidation: eval set stored once (${set.memories.length}) and with repeats (${copies.length}); searching...`);
    const original = { memories: set.memories.length, scores: await scoreAll(ms, 'original', set) };
    const repeats = { memories: copies.length, scores: await scoreAll(ms, 'repeats', set) };
    const dry = await ms.consolidation.run('repeats', { dryRun: true });
    const started = performance.now();
    const report = await ms.consolidation.run('repeats', {});
    const passMs = performance.now() - started;
    const consolidated = { memories: copies.length - report.merged, scores: await scoreAll(ms, 'repeats', set) };
    const byId = new Map(copies.map((c) => [c.id, c]));
    const mergedCopies = (dry.groups ?? []).filter((g) => g.kind === 'duplicate').flatMap((g) => g.ids.map((id) => ({ kept: g.keep, merged: id })));
    const sameFact = mergedCopies.filter((m) => byId.get(m.kept)?.fact === byId.get(m.merged)?.fact);
    const ofKind = (kind: CopyKind): number => sameFact.filter((m) => byId.get(m.merged)?.kind === kind).length;
    return {
      facts: set.memories.length,
      queries: set.queries.length,
      copies: { original: count(copies, 'original'), nearVerbatim: count(copies, 'nearVerbatim'), paraphrase: count(copies, 'paraphrase') },
      original,
      repeats,
      consolidated,
      pass: {
        examined: report.examined,
        merged: report.merged,
        mergedNearVerbatim: ofKind('nearVerbatim'),
        mergedParaphrase: ofKind('paraphrase'),
        mergedOriginal: ofKind('original'),
        mergedAcrossFacts: mergedCopies.filter((m) => byId.get(m.kept)?.fact !== byId.get(m.merged)?.fact),
        ms: passMs,
      },
    };
  } finally {
    await ms.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function count(copies: readonly Copy[], kind: CopyKind): number {
  return copies.filter((c) => c.kind === kind).length;
}

async function addAll(ms: Memspace, space: string, memories: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < memories.length; i += 64) await ms.memories.addMany(space, memories.slice(i, i + 64));
}

/** Every query in every mode; rankings mapped to fact ids (`m001:2` is fact `m001`). */
async function scoreAll(ms: Memspace, space: string, set: EvalSet): Promise<Record<Mode, RetrievalScores>> {
  const out = {} as Record<Mode, RetrievalScores>;
  for (const mode of MODES) {
    let ndcg = 0;
    let recall = 0;
    let distinct = 0;
    for (const q of set.queries) {
      const { results } = await ms.search.run(space, { query: q.query, mode, limit: NDCG_K });
      const facts = results.map((r) => r.memory.id.split(':')[0]!);
      ndcg += ndcgAt(facts, q.relevant, NDCG_K);
      recall += recallAt(facts, q.relevant, 10);
      distinct += new Set(facts.slice(0, 10)).size;
    }
    const n = set.queries.length;
    out[mode] = { ndcg10: ndcg / n, recall10: recall / n, distinctFacts10: distinct / n };
  }
  return out;
}

/**
 * Each memory 1 to 5 times: the original text once, and near-verbatim repeats or paraphrases for
 * the other copies; all copies shuffled together. Ids `m001:0` (the original text), `m001:1`, ...
 */
export function repeatedCopies(memories: readonly EvalMemory[]): Copy[] {
  const random = mulberry32(SEED);
  const copies: Copy[] = [];
  for (const m of memories) {
    const n = 1 + Math.floor(random() * 5);
    const texts = new Set<string>();
    for (let k = 0; k < n; k++) {
      let kind: CopyKind = k === 0 ? 'original' : random() < NEAR_VERBATIM_SHARE ? 'nearVerbatim' : 'paraphrase';
      let content = m.content;
      // Copies of one fact differ from each other where the variants allow; a text that comes out again is a verbatim repeat.
      for (let attempt = 0; kind !== 'original' && attempt < 10 && (attempt === 0 || texts.has(content)); attempt++) {
        content = kind === 'nearVerbatim' ? nearVerbatim(m.content, random) : paraphrase(m.content, random);
      }
      if (kind === 'paraphrase' && texts.has(content)) kind = 'nearVerbatim';
      texts.add(content);
      copies.push({ id: `${m.id}:${k}`, fact: m.id, kind, content, tags: m.tags, metadata: m.metadata });
    }
  }
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copies[i], copies[j]] = [copies[j]!, copies[i]!];
  }
  return copies;
}

const LEAD_INS = ['Note: ', 'FYI, ', 'Remember that ', 'Reminder: ', 'Important: '];

/** A repeat that says the same in the same words: a value in another format, else a lead-in, case or final punctuation. */
function nearVerbatim(text: string, random: () => number): string {
  const r = random();
  const reformatted = otherFormat(text);
  if (reformatted !== text && r < 0.5) return reformatted;
  if (r < 0.6) return `${pick(LEAD_INS, random)}${lowerFirst(text)}`;
  if (r < 0.8) return text.toLowerCase();
  return /[.!?]$/.test(text) ? text.slice(0, -1) : `${text}.`;
}

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';

/** The first time, date or amount of `text` in another format; `text` itself when it has none. */
function otherFormat(text: string): string {
  // A clock time only after "at", "from", "by", "until", "before" or "after" (not a race time or a range).
  const time = /\b(at|from|by|until|before|after) ([01]?\d|2[0-3]):([0-5]\d)\b(?![-\u2013:]|\s*[ap]\.?m)/.exec(text);
  if (time !== null) {
    const h = Number(time[2]);
    const m = time[3] === '00' ? '' : `:${time[3]}`;
    const twelve = `${time[1]} ${h % 12 === 0 ? 12 : h % 12}${m}${h < 12 ? 'am' : 'pm'}`;
    return `${text.slice(0, time.index)}${twelve}${text.slice(time.index + time[0].length)}`;
  }
  const date = new RegExp(`\\b(\\d{1,2}) (${MONTHS})\\b`).exec(text);
  if (date !== null) return text.replace(date[0], `${date[2]} ${date[1]}`);
  const pounds = /\b(\d{1,3}(?:,\d{3})+|\d+) pounds\b/.exec(text);
  if (pounds !== null) return text.replace(pounds[0], `£${pounds[1]}`);
  const sterling = /£(\d{1,3}(?:,\d{3})+|\d+)\b/.exec(text);
  if (sterling !== null) return text.replace(sterling[0], `${sterling[1]} pounds`);
  return text;
}

/** Synonyms a person might use instead; the first that occurs is swapped. */
const SYNONYMS: readonly [RegExp, string][] = [
  [/\bprefers\b/, 'would rather have'],
  [/\bwants\b/, 'would like'],
  [/\bbecause\b/, 'since'],
  [/\bmoved\b/, 'shifted'],
  [/\bbooked\b/, 'reserved'],
  [/\buses\b/, 'relies on'],
  [/\bchose\b/, 'picked'],
  [/\basked for\b/, 'requested'],
  [/\bstarted\b/, 'began'],
  [/\bbig\b/, 'large'],
  [/\bowns\b/, 'is responsible for'],
  [/\bplanned\b/, 'scheduled'],
  [/\bneeds\b/, 'requires'],
  [/\bfinish\b/, 'complete'],
  [/\bhelp\b/, 'assistance'],
  [/\babout\b/, 'roughly'],
];
const REPORTED = ['Dana mentioned that ', 'Dana said that ', 'From the notes: it seems that ', 'As Dana put it, '];

/** Another wording of the same fact: clauses reordered, a synonym, or the fact reported. */
function paraphrase(text: string, random: () => number): string {
  const r = random();
  const parts = text.split(/(?<=[.;])\s+/);
  if (parts.length > 1 && r < 0.4) {
    const rotated = [...parts.slice(1), parts[0]!].map((p) => p.replace(/;$/, '.')).join(' ');
    return `${rotated.charAt(0).toUpperCase()}${rotated.slice(1)}`;
  }
  const synonym = SYNONYMS.find(([pattern]) => pattern.test(text));
  if (synonym !== undefined && r < 0.75) return text.replace(synonym[0], synonym[1]);
  return `${pick(REPORTED, random)}${lowerFirst(text)}`;
}

function lowerFirst(text: string): string {
  // Only a plain word lowers after a lead-in ("Note: the ..."); names, tickets and acronyms stay as written.
  return /^(The|A|An|This|That|These|Our|Her|His|Its|Their|For|In|On|At|After|Before|When|If|Since|Every|Each|Both|Some|Any|No|One|Two|Three)\b/.test(text) ? `${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}
