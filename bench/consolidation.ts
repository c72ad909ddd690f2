/**
 * Consolidation (issue 19, `npm run bench:consolidation`): the figures the issue asks for, in one
 * run on one machine.
 *
 * 1. The duplicate rule and the supersession rule at the defaults, on labelled pairs
 *    (`bench/consolidation-quality.ts`).
 * 2. Retrieval on the evaluation set with each fact stored 1 to 5 times, before and after one
 *    pass, beside the set stored once (`bench/consolidation-retrieval.ts`).
 * 3. How many memories one pass examines per second, at 10k and (not with `--quick`) 100k
 *    memories, and single adds over HTTP with and without a pass running on the same 10k space
 *    (`bench/consolidation-load.ts`).
 *
 * Each part reports an error of its own instead of failing the others.
 */
import { benchAddsUnderPass, benchThroughput, DEFAULT_SHAPE, type AddsUnderPassFigures, type ThroughputFigures } from './consolidation-load.js';
import { benchRuleQuality, type DuplicateFigures, type Share, type SupersessionFigures } from './consolidation-quality.js';
import { benchRetrieval, type RetrievalFigures, type RetrievalScores } from './consolidation-retrieval.js';
import { partRunner, type Part, type PartsSummary } from './parts.js';


/** Figures reported by {@link benchConsolidation}. */
export interface ConsolidationBenchResult extends PartsSummary {
  quick: boolean;
  rules: Part<{ duplicates: DuplicateFigures; supersession: SupersessionFigures }>;
  retrieval: Part<RetrievalFigures>;
  /** One pass per space size. */
  throughput: Part<ThroughputFigures>[];
  adds: Part<AddsUnderPassFigures>;
}

/** The least merge precision the issue accepts at the defaults. */
export const MIN_MERGE_PRECISION = 0.98;

/** Runs every part; `quick` leaves out the 100k space and times fewer adds. */
export async function benchConsolidation(options: { quick?: boolean; progress?: (line: string) => void } = {}): Promise<ConsolidationBenchResult> {
  const quick = options.quick === true;
  const progress = options.progress;
  const { run: part, summary } = partRunner('consolidation', progress);
  const rules = await part('the duplicate and supersession rules on labelled pairs', () => benchRuleQuality({ progress }));
  const retrieval = await part('retrieval on the eval set with repeats, before and after a pass', () => benchRetrieval({ progress }));
  const throughput: Part<ThroughputFigures>[] = [];
  for (const memories of quick ? [10_000] : [10_000, 100_000]) {
    throughput.push(await part(`one pass over ${memories.toLocaleString('en-US')} memories`, () => benchThroughput({ memories, ...DEFAULT_SHAPE }, { progress })));
  }
  const adds = await part('single adds over HTTP with and without a pass running (10k)', () => benchAddsUnderPass({ memories: 10_000, rounds: quick ? 1 : 3, baseline: quick ? 300 : 1_000, progress }));
  return {
    quick,
    ...summary(),
    rules,
    retrieval,
    throughput,
    adds,
  };
}

/** What the adds during a pass waited for, from the figures: the whole pass, or the pass's turns on the thread that answers them. */
function stallNote(a: AddsUnderPassFigures, f: (x: number | undefined, digits?: number) => string): string[] {
  if (!(a.duringPass.p99Ms > 10 * a.withoutPass.p99Ms)) return [];
  const longestPass = Math.max(...a.passes.map((p) => p.ms));
  const busy = `${f(a.serverLoopBusy.duringPass * 100, 0)}%`;
  if (a.duringPass.maxMs >= longestPass / 2) {
    return [
      `**An add that arrives while a pass runs waits for most of the pass, not for one batch.** The server's event loop, which reads requests and writes, was busy ${busy} of the time during passes, and the longest wait (${f(a.duringPass.maxMs / 1000, 1)} s) is about the longest pass (${f(longestPass / 1000, 1)} s): the pass's reads, vector searches and batch writes run on that thread without giving it a turn to answer requests in between.`,
      '',
    ];
  }
  return [
    `**Adds wait for the pass's share of the thread that answers them.** The server's event loop, which reads requests and writes, was busy ${busy} of the time during passes (the pass's reads, vector searches and batch writes run on it); an add waits until the pass gives the loop a turn, up to ${f(a.duringPass.maxMs, 0)} ms here, while the longest pass took ${f(longestPass / 1000, 1)} s.`,
    '',
  ];
}

/** The fewest merges, all right, whose 95% Wilson interval starts at `precision` or above. */
function mergesToShow(precision: number): number {
  const z2 = 1.959964 ** 2;
  return Math.ceil((precision * z2) / (1 - precision));
}

const ok = <T extends object>(part: Part<T> | undefined): T | undefined => (part === undefined || 'error' in part ? undefined : (part as T));

type Report = ConsolidationBenchResult | { error: string } | undefined;
type Row = { figure: string; value: number | undefined; unit: string; target?: { kind: 'min' | 'max'; value: number }; error?: string };

/** Rows of the summary tables of RESULTS.md: the target of the issue (merge precision), and the headline figures. */
export function consolidationRows(res: Report): Row[] {
  if (res === undefined) return [];
  if ('error' in res) return [{ figure: 'consolidation benchmark', value: undefined, unit: '', error: res.error }];
  const rules = ok(res.rules);
  const retrieval = ok(res.retrieval);
  const adds = ok(res.adds);
  const err = (part: Part<object> | undefined): string | undefined => (part !== undefined && 'error' in part ? part.error : undefined);
  const at = (n: number): ThroughputFigures | undefined => res.throughput.map((t) => ok(t)).find((t) => t?.memories === n);
  const rows: Row[] = [
    { figure: 'consolidation: duplicate merge precision at the defaults (labelled pairs)', value: rules?.duplicates.precision.value, unit: '', target: { kind: 'min', value: MIN_MERGE_PRECISION }, error: err(res.rules) },
    { figure: 'consolidation: duplicate recall at the defaults (labelled pairs)', value: rules?.duplicates.recall.value, unit: '', error: err(res.rules) },
    { figure: 'consolidation: supersession precision (labelled pairs)', value: rules?.supersession.precision.value, unit: '', error: err(res.rules) },
    { figure: 'consolidation: hybrid nDCG@10, eval set with repeats, before a pass', value: retrieval?.repeats.scores.hybrid.ndcg10, unit: '', error: err(res.retrieval) },
    { figure: 'consolidation: hybrid nDCG@10, eval set with repeats, after a pass', value: retrieval?.consolidated.scores.hybrid.ndcg10, unit: '', error: err(res.retrieval) },
  ];
  for (const n of [10_000, 100_000]) {
    const t = at(n);
    if (t !== undefined || !res.quick || n === 10_000) rows.push({ figure: `consolidation: memories examined per second, one pass over ${n.toLocaleString('en-US')}`, value: t?.examinedPerSec, unit: 'memories/s', error: err(res.throughput.find((p) => 'error' in p)) });
  }
  rows.push(
    { figure: 'consolidation: HTTP single add p99 while a pass runs (10k)', value: adds?.duringPass.p99Ms, unit: 'ms', error: err(res.adds) },
    { figure: 'consolidation: HTTP single add p99, no pass running (10k)', value: adds?.withoutPass.p99Ms, unit: 'ms', error: err(res.adds) },
  );
  return rows.map((r) => (r.value === undefined ? r : { figure: r.figure, value: r.value, unit: r.unit, ...(r.target && { target: r.target }) }));
}

/** The section of RESULTS.md. */
export function consolidationMarkdown(res: Report): string[] {
  if (res === undefined) return [];
  if ('error' in res) return ['## Consolidation', '', `Failed: ${res.error}`, ''];
  const f = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  const n = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US'));
  const ratio = (a: number | undefined, b: number | undefined): string => {
    if (a === undefined || b === undefined || b === 0) return '-';
    const x = a / b;
    return `${f(x, x >= 100 ? 0 : x >= 10 ? 1 : 2)}x`;
  };
  const s = (x: Share): string => `${f(x.value)} (${x.hits}/${x.of}; 95% ${f(x.low)}-${f(x.high)})`;
  const failed = (title: string, part: { error: string }): string[] => [title, '', `Failed: ${part.error}`, ''];
  const lines: string[] = [
    '## Consolidation',
    '',
    `Measured by \`bench/consolidation.ts\` (\`npm run bench:consolidation\`${res.quick ? ', `--quick`' : ''}) on ${res.date}, in ${n(res.durationSec)} s. Load average ${f(res.loadAverage.start)} at the start, ${f(res.loadAverage.end)} at the end (machine and software as at the top of this file); by part, at its start and end: ${(res.loadByPart ?? []).map((p) => `${p.part} ${f(p.start)} and ${f(p.end)} (${n(p.sec)} s)`).join('; ')}. The benchmark itself accounts for about 1 (2 while it embeds); more means other work shared the CPUs. Every figure below comes from this one run; ratios compare figures measured side by side in it.`,
    '',
  ];

  // ---- the rules ----
  const rules = res.rules;
  if ('error' in rules) lines.push(...failed('### The rules on labelled pairs', rules));
  else {
    const d = rules.duplicates;
    const p = rules.supersession;
    lines.push(
      '### The duplicate rule on labelled pairs',
      '',
      `\`bench/data/consolidation-pairs.jsonl\`: ${d.pairs.toLocaleString('en-US')} pairs (${d.duplicates} duplicate, ${d.different} different, ${d.updates} update). Each pair as a pass sees it: the older memory examined, the other a candidate when their cosine (default local embedder) is at least ${d.minCosine}, then \`duplicateGroup\` (core/consolidation.ts) at the defaults (minOverlap ${d.minOverlap}). Merging a \`different\` or an \`update\` pair is a wrong merge. Intervals are 95% Wilson.`,
      '',
      '| Figure | Value |',
      '|---|--:|',
      `| pairs merged | ${d.merges} |`,
      `| merge precision (target >= ${MIN_MERGE_PRECISION}) | ${s(d.precision)} |`,
      `| recall of duplicates | ${s(d.recall)} |`,
      `| recall, verbatim duplicates (lead-in, case, value format) | ${s(d.recallVerbatim)} |`,
      `| recall, paraphrase duplicates | ${s(d.recallParaphrase)} |`,
      `| duplicates under the cosine threshold (never compared) | ${d.duplicatesUnderCosine} of ${d.duplicates} |`,
      `| different pairs merged | ${d.differentMerged} of ${d.different} |`,
      `| update pairs merged | ${d.updateMerged} of ${d.updates} |`,
      `| engine dry-run pass agrees with the pure rule (every pair stored, default embedder) | ${n(d.engineAgrees)} of ${n(d.pairs)} pairs |`,
      '',
      ...(d.precision.low < MIN_MERGE_PRECISION && d.precision.value >= MIN_MERGE_PRECISION
        ? [`The precision itself meets ${MIN_MERGE_PRECISION}; the low end of its interval does not, because ${d.merges} merges are too few to show ${MIN_MERGE_PRECISION} at 95%: with no wrong merge at all, that takes ${mergesToShow(MIN_MERGE_PRECISION)} merges.`, '']
        : []),
      ...(d.wrongMerges.length > 0 ? ['Wrong merges:', '', ...d.wrongMerges.map((w) => `- ${w.id} (${w.label}): "${w.a}" / "${w.b}"`), ''] : []),
      ...(d.engineDisagrees.length > 0 ? [`Pairs where the engine's pass and the pure rule disagree: ${d.engineDisagrees.join(', ')}.`, ''] : []),
      '### The supersession rule on labelled pairs',
      '',
      `\`bench/data/supersession-pairs.jsonl\`: ${p.pairs} pairs of an older and a newer memory of one user, each with the metadata key an agent set (${p.updates} \`update\`: the newer replaces the older; ${p.coexist} \`coexist\`: both stay true under the same key). The rule (\`supersessions\`, core/consolidation.ts) supersedes the older memory whenever the two name the same \`key\` (or \`subject\`), trimmed and in any case, and their texts differ. A supersession of a \`coexist\` pair is wrong: it hides a true fact from search. **Its precision is the share of updates among same-key pairs, so it depends on the mix of the set** (bench/data/README.md, "Supersession pairs"); the rows by kind of key say more than the total.`,
      '',
      '| Keys | Pairs | Updates | Superseded | Precision | Recall of updates |',
      '|---|--:|--:|--:|--:|--:|',
      `| all | ${p.pairs} | ${p.updates} | ${p.superseded} | ${s(p.precision)} | ${s(p.recall)} |`,
      ...p.byKeyKind.map((k) => `| ${k.kind === 'single' ? 'keys of one value (home_city, employer, manager, ...)' : 'keys of several values (pet, allergy, hobby, ...)'} | ${k.pairs} | ${k.updates} | ${k.precision.of} | ${s(k.precision)} | ${s(k.recall)} |`),
      '',
      `How the agent spelled the key: ${p.byKeyVariant.map((v) => `${v.variant} ${v.pairs} pairs (${v.superseded} superseded, ${v.updatesMissed} updates missed)`).join('; ')}. Coexisting facts superseded, by what the newer memory was: ${Object.entries(p.wrongByKind).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}. The engine's dry-run pass agrees with the pure rule on ${p.engineAgrees} of ${p.pairs} pairs${p.engineDisagrees.length > 0 ? ` (not on ${p.engineDisagrees.join(', ')})` : ''}.`,
      '',
    );
  }

  // ---- retrieval ----
  const r = res.retrieval;
  if ('error' in r) lines.push(...failed('### Retrieval with repeats, before and after a pass', r));
  else {
    const row = (mode: 'hybrid' | 'vector' | 'keyword', metric: keyof RetrievalScores, label: string, digits: number): string => {
      const o = r.original.scores[mode][metric];
      const b = r.repeats.scores[mode][metric];
      const a = r.consolidated.scores[mode][metric];
      const recovered = o === b ? '-' : `${n(((a - b) / (o - b)) * 100)}%`;
      return `| ${mode} ${label} | ${f(o, digits)} | ${f(b, digits)} | ${f(a, digits)} | ${ratio(a, b)} | ${ratio(a, o)} | ${recovered} |`;
    };
    lines.push(
      '### Retrieval with repeats, before and after a pass',
      '',
      `The evaluation set (\`bench/data/eval-set.jsonl\`, ${r.facts} memories, ${r.queries} queries) stored once ("once"), and with each memory stored 1 to 5 times ("repeats": ${r.copies.original + r.copies.nearVerbatim + r.copies.paraphrase} memories: ${r.copies.original} original texts, ${r.copies.nearVerbatim} near-verbatim repeats (a lead-in, case, final punctuation, another format of a time, date or amount), ${r.copies.paraphrase} paraphrases (clauses reordered, a synonym, the fact reported)), then that space after one pass at the defaults ("after pass": ${n(r.consolidated.memories)} memories). Default local embedder, limit 10. A copy of a relevant memory counts the first time its fact appears in a ranking; further copies of a fact count as not relevant (src/eval/metrics.ts over rankings mapped to facts). Distinct facts: how many different memories of the set the first 10 results show (keyword search may return fewer than 10). Loss recovered: (after pass - repeats) / (once - repeats).`,
      '',
      '| Mode and metric | once | repeats | after pass | after / repeats | after / once | loss recovered |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...(['hybrid', 'vector', 'keyword'] as const).flatMap((mode) => [row(mode, 'ndcg10', 'nDCG@10', 3), row(mode, 'recall10', 'recall@10', 3), row(mode, 'distinctFacts10', 'distinct facts in top 10', 1)]),
      '',
      `The pass examined ${r.pass.examined} memories in ${n(r.pass.ms)} ms and merged ${r.pass.merged}: ${r.pass.mergedNearVerbatim} of the ${r.copies.nearVerbatim} near-verbatim repeats, ${r.pass.mergedParaphrase} of the ${r.copies.paraphrase} paraphrases${r.pass.mergedOriginal > 0 ? `, ${r.pass.mergedOriginal} copies holding the original text (merged into a variant of their fact stored earlier)` : ''}; ${r.pass.mergedAcrossFacts.length === 0 ? 'no memory was merged into a memory of another fact' : `**${r.pass.mergedAcrossFacts.length} merged into a memory of another fact** (${r.pass.mergedAcrossFacts.map((m) => `${m.merged} into ${m.kept}`).join(', ')})`}.`,
      '',
    );
  }

  // ---- throughput and adds ----
  lines.push(
    '### One pass: memories examined per second',
    '',
    `A space with \`embedder: "none"\` and caller-given 512-d vectors (no model time): memory-like texts with clustered unit vectors (\`Corpus\` of bench/engine.ts), ${DEFAULT_SHAPE.perUser} memories per user (a pass compares within a user), ${DEFAULT_SHAPE.repeatShare * 100}% of them near-verbatim repeats of an earlier memory of the same user (a lead-in, lower case, or the final full stop; the vector plus a little noise, cosine about 0.995). Loaded in batches of 1,000 and the vector index settled before the pass (not timed). One \`ms.consolidation.run\` in process, sync full. "Examined" counts the memories the pass read: a repeat merged away before its page was read is not examined again, so it is less than the space.`,
    '',
    '| Memories | Repeats planted | Merged (planted / other) | Examined | Pass | Examined/s | Memories in the space/s |',
    '|--:|--:|--:|--:|--:|--:|--:|',
    ...res.throughput.map((t) => ('error' in t ? `| - | failed: ${t.error.replace(/\|/g, '\\|')} | | | | | |` : `| ${n(t.memories)} | ${n(t.planted)} | ${n(t.merged)} (${n(t.plantedMerged)} / ${n(t.otherMerged)}) | ${n(t.examined)} | ${f(t.passMs / 1000, 1)} s | ${n(t.examinedPerSec)} | ${n((t.memories / t.passMs) * 1000)} |`)),
    '',
  );
  const a = res.adds;
  if ('error' in a) lines.push(...failed('### Single adds while a pass runs', a));
  else {
    const addRow = (label: string, key: 'p50Ms' | 'p99Ms' | 'meanMs' | 'maxMs'): string => `| ${label} | ${f(a.withoutPass[key])} ms | ${f(a.duringPass[key])} ms | ${ratio(a.duringPass[key], a.withoutPass[key])} |`;
    lines.push(
      '### Single adds while a pass runs',
      '',
      `A server in a child process (\`bench/http-server.ts\`, as \`memspace serve\` runs: one thread answers HTTP and writes, ${a.workers} search threads) on a synthetic space of ${n(a.memories)} memories as above. The bench process sends single adds (\`POST /v1/spaces/{space}/memories\`, a new memory of one of the space's users with its vector, durable when answered) at a steady ${n(1000 / a.addIntervalMs)} per second over up to ${a.connections} keep-alive connections, open loop: each add is sent when it is due whether or not earlier ones were answered, and its latency runs from when it was due, so an add that waited behind a stalled server counts its wait. Per round: ${n(a.withoutPass.count / a.rounds)} adds with no pass running, then adds for as long as one pass (\`POST /consolidate\`, on a connection of its own) runs, then the pass undone (not timed), so each round's pass finds the same repeats (the adds stay: the space grows by some ${n((a.withoutPass.count + a.duringPass.count) / a.rounds)} memories a round); ${a.rounds} round${a.rounds === 1 ? '' : 's'}. Passes took ${a.passes.map((p) => `${f(p.ms / 1000, 1)} s (${n(p.examined)} examined, ${n(p.merged)} merged)`).join(', ')}. The server's event loop was busy ${n(a.serverLoopBusy.withoutPass * 100)}% of the time without a pass and ${n(a.serverLoopBusy.duringPass * 100)}% during passes.`,
      '',
      '| Add latency | no pass | during a pass | during / no pass |',
      '|---|--:|--:|--:|',
      addRow('p50', 'p50Ms'),
      addRow('p99', 'p99Ms'),
      addRow('mean', 'meanMs'),
      addRow('max', 'maxMs'),
      `| adds timed | ${n(a.withoutPass.count)} | ${n(a.duringPass.count)} | |`,
      '',
      ...stallNote(a, f),
    );
  }
  return lines;
}
