import type { JSX } from 'preact';
import { ApiError } from '../api.js';
import { Bar, ErrorNote, Link } from '../ui/components.js';
import { formatScore } from '../ui/format.js';
import { describeSettings, type Hit, type Mode, type Move, type Settings } from './search-query.js';

/** One side's search as it came back: its hits, or the API's refusal. */
export interface Outcome {
  hits?: Hit[];
  error?: unknown;
}

/** How much of a memory's content a hit shows; the memory's page has the rest. */
const CONTENT_CHARS = 180;

/** What the bars mean, once above the results; moves too when two settings are compared. */
export function Legend(props: { compare: boolean }): JSX.Element {
  return (
    <ul class="search-legend" aria-label="Legend">
      <li>
        <span class="search-swatch vector" aria-hidden="true" /> <strong>vector</strong>: cosine similarity of the query's embedding and the memory's
      </li>
      <li>
        <span class="search-swatch keyword" aria-hidden="true" /> <strong>keyword</strong>: relevance of the query's words (BM25), mapped to 0–1
      </li>
      <li>
        <span class="search-swatch fused" aria-hidden="true" /> <strong>fused</strong>: the score the results are ranked by (both halves fused, plus signals)
      </li>
      {props.compare && (
        <li>
          In B: <strong>▲n</strong>/<strong>▼n</strong> places up or down from A, <strong>—</strong> the same rank, <strong>new</strong> not in A; in A: <strong>not in B</strong>
        </li>
      )}
    </ul>
  );
}

/** One side's results: its settings in words, how its score is made, then the hits best first. */
export function ResultColumn(props: { space: string; side: 'a' | 'b'; title?: string; settings: Settings; outcome: Outcome | undefined; moves?: Map<string, Move> }): JSX.Element {
  const hits = props.outcome?.hits;
  const fusedMax = Math.max(1, ...(hits ?? []).map((h) => h.score));
  const s = props.settings;
  // Weighted fusion is a sum each hit can show; rank fusion is not (it uses ranks, not scores).
  const weight = s.mode === 'hybrid' && s.fusion === 'weighted' ? Number(s.vectorWeight) : NaN;
  return (
    <section class="search-column" data-side={props.side} aria-label={props.title ?? 'Results'}>
      {props.title !== undefined && <h3>{props.title}</h3>}
      <p class="muted search-settings-text">{describeSettings(props.settings)}</p>
      <HowScored settings={props.settings} />
      <ErrorNote error={props.outcome?.error} />
      <Issues error={props.outcome?.error} />
      {hits !== undefined &&
        (hits.length === 0 ? (
          <p class="muted">No memory matched.</p>
        ) : (
          <ol class="search-hits">
            {hits.map((hit, i) => (
              <HitItem key={hit.memory.id} space={props.space} hit={hit} rank={i + 1} mode={props.settings.mode} fusedMax={fusedMax} weight={Number.isFinite(weight) ? weight : undefined} move={props.moves?.get(hit.memory.id)} />
            ))}
          </ol>
        ))}
    </section>
  );
}

/** Every issue a VALIDATION_FAILED lists (its message names only the first), so each bad field is told. */
function Issues(props: { error: unknown }): JSX.Element | null {
  const issues = props.error instanceof ApiError ? props.error.details['issues'] : undefined;
  if (!Array.isArray(issues) || issues.length < 2) return null;
  return (
    <ul class="search-issues">
      {(issues as { path?: unknown; message?: unknown }[]).map((issue, i) => (
        <li key={i}>
          <code>{String(issue.path ?? '')}</code>: {String(issue.message ?? '')}
        </li>
      ))}
    </ul>
  );
}

/** How this side's fused score is made, and which half it lacks: why a hit ranks where it does. */
function HowScored(props: { settings: Settings }): JSX.Element {
  const s = props.settings;
  const weight = Number(s.vectorWeight);
  const text =
    s.mode === 'keyword'
      ? 'Keyword mode: the vector half is not computed; the score is the keyword score.'
      : s.mode === 'vector'
        ? 'Vector mode: the keyword half is not computed; the score is the vector score.'
        : s.fusion === 'rrf'
          ? `Hybrid, reciprocal rank fusion: the score comes from each half's rank (k = 60, weights ${s.vectorWeight} and ${Number.isFinite(weight) ? round(1 - weight) : '?'}), not from the bars' sizes.`
          : `Hybrid: score = ${s.vectorWeight} × vector + ${Number.isFinite(weight) ? round(1 - weight) : '?'} × keyword.`;
  return <p class="note search-how">{text} Signals (a date named in the query, run neighbours, rank weights) can change it; each hit lists those it got.</p>;
}

/** One hit: its rank (and move), content linking to the memory, and its score halves as bars with their figures. */
function HitItem(props: { space: string; hit: Hit; rank: number; mode: Mode; fusedMax: number; weight: number | undefined; move: Move | undefined }): JSX.Element {
  const { hit, mode } = props;
  const memory = hit.memory;
  const content = memory.content.length > CONTENT_CHARS ? `${memory.content.slice(0, CONTENT_CHARS)}…` : memory.content;
  return (
    <li class="search-hit" data-id={memory.id}>
      <div class="search-hit-head">
        <span class="search-rank">#{props.rank}</span>
        {props.move !== undefined && <MoveMark move={props.move} />}
        <Link to={`/spaces/${encodeURIComponent(props.space)}/memories/${encodeURIComponent(memory.id)}`} class="search-content">
          {content}
        </Link>
      </div>
      <div class="search-hit-meta muted">
        <code>{memory.id}</code>
        {memory.tags.length > 0 && ` · tags: ${memory.tags.join(', ')}`}
      </div>
      <div class="search-scores">
        <ScoreRow name="vector" value={hit.scores.vector} max={1} absent={mode === 'keyword' ? 'not computed in keyword mode' : 'none'} />
        <ScoreRow name="keyword" value={hit.scores.keyword} max={1} absent={mode === 'vector' ? 'not computed in vector mode' : 'no keyword match (counts as 0)'} />
        <ScoreRow name="fused" value={hit.score} max={props.fusedMax} absent="none" />
      </div>
      {props.weight !== undefined && <Sum weight={props.weight} hit={hit} />}
      <Signals scores={hit.scores} />
    </li>
  );
}

/** A score half as a bar with its figure, or why the hit has none. */
function ScoreRow(props: { name: 'vector' | 'keyword' | 'fused'; value: number | undefined; max: number; absent: string }): JSX.Element {
  return (
    <div class="search-score" data-half={props.name}>
      <span class="search-score-name" aria-hidden="true">
        {props.name}
      </span>
      {props.value === undefined ? (
        <span class="muted search-absent">
          <span class="sr-only">{props.name}: </span>
          {props.absent}
        </span>
      ) : (
        <Bar value={props.value} max={props.max} label={`${props.name} score`} text={formatScore(props.value)} tone={props.name} />
      )}
    </div>
  );
}

/** The weighted fusion of a hit's halves written out (a negative cosine counts as 0, a missing half as 0). */
function Sum(props: { weight: number; hit: Hit }): JSX.Element {
  const vector = Math.max(props.hit.scores.vector ?? 0, 0);
  const keyword = props.hit.scores.keyword ?? 0;
  const fused = props.weight * vector + (1 - props.weight) * keyword;
  return (
    <p class="search-sum muted">
      fused = {round(props.weight)} × {formatScore(vector)} + {round(1 - props.weight)} × {formatScore(keyword)} = {formatScore(fused)}
      {Math.abs(fused - props.hit.score) > 5e-4 && ', then the signals below'}
    </p>
  );
}

/** The signals and blend parts a hit got besides the two halves, by name. */
const SIGNALS: { key: keyof Hit['scores']; label: string; sign?: boolean }[] = [
  { key: 'date', label: 'date named in the query', sign: true },
  { key: 'neighbor', label: 'run neighbour' },
  { key: 'relevance', label: 'relevance before rank weights' },
  { key: 'recency', label: 'recency' },
  { key: 'importance', label: 'importance' },
  { key: 'feedback', label: 'feedback' },
  { key: 'narrative', label: 'narrative' },
  { key: 'rerank', label: 'reranker' },
];

function Signals(props: { scores: Hit['scores'] }): JSX.Element | null {
  const present = SIGNALS.filter((s) => props.scores[s.key] !== undefined);
  if (present.length === 0) return null;
  return (
    <p class="search-signals muted">
      Also:{' '}
      {present.map((s, i) => (
        <span key={s.key}>
          {i > 0 && ' · '}
          {s.label} {s.sign === true ? '+' : ''}
          {formatScore(props.scores[s.key])}
        </span>
      ))}
    </p>
  );
}

/** A rank move as text (the arrow for the eye, words for a screen reader); colour only repeats it. */
function MoveMark(props: { move: Move }): JSX.Element {
  const m = props.move;
  const [shown, said] =
    m.kind === 'up'
      ? [`▲${m.places}`, `up ${m.places} from A`]
      : m.kind === 'down'
        ? [`▼${m.places}`, `down ${m.places} from A`]
        : m.kind === 'same'
          ? ['—', 'same rank as in A']
          : m.kind === 'new'
            ? ['new', 'not in A']
            : ['not in B', 'not in B'];
  return (
    <span class={`search-move ${m.kind}`} title={said}>
      <span aria-hidden="true">{shown}</span>
      <span class="sr-only">{said}</span>
    </span>
  );
}

/** A weight to two decimals, without trailing zeros. */
function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}
