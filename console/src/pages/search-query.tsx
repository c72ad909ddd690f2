/**
 * The search playground's state: what the page's query string holds (so a search can be shared
 * as a link), the request each setting makes, and how ranks move between two settings. No JSX
 * here; it is a .tsx only to stay among the page's own files.
 */

/** How a search ranks (docs/search.md, "Modes and scores"). */
export type Mode = 'hybrid' | 'vector' | 'keyword';
/** The modes, in the order the form offers them. */
export const MODES: readonly Mode[] = ['hybrid', 'vector', 'keyword'];

/**
 * One side's settings, as the form holds them: numbers as the text typed, so a value the API
 * refuses reaches it and its answer (VALIDATION_FAILED) is shown rather than guessed at here.
 */
export interface Settings {
  mode: Mode;
  vectorWeight: string;
  fusion: 'weighted' | 'rrf';
  limit: string;
  threshold: string;
  recency: string;
  importance: string;
}

/** Everything the page's form holds: the query and filters both sides share, and each side's settings. */
export interface SearchState {
  q: string;
  /** The filter language as JSON text (docs/search.md, "Filters"). */
  filter: string;
  /** Tags, comma-separated. */
  tags: string;
  tagsMatch: 'any' | 'all';
  compare: boolean;
  a: Settings;
  b: Settings;
}

/** The API's defaults: a setting left at its default stays out of the link and of the request. */
export const DEFAULT_SETTINGS: Settings = { mode: 'hybrid', vectorWeight: '0.5', fusion: 'weighted', limit: '10', threshold: '', recency: '', importance: '' };
const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

/** Reads the form's state from a page query string (`?q=…&mode=keyword&compare=1&b.mode=vector`). */
export function readState(query: URLSearchParams): SearchState {
  const side = (prefix: string): Settings => {
    const value = (key: keyof Settings): string => query.get(`${prefix}${key}`) ?? DEFAULT_SETTINGS[key];
    const mode = value('mode') as Mode;
    return {
      mode: MODES.includes(mode) ? mode : 'hybrid',
      vectorWeight: value('vectorWeight'),
      fusion: value('fusion') === 'rrf' ? 'rrf' : 'weighted',
      limit: value('limit'),
      threshold: value('threshold'),
      recency: value('recency'),
      importance: value('importance'),
    };
  };
  return {
    q: query.get('q') ?? '',
    filter: query.get('filter') ?? '',
    tags: query.get('tags') ?? '',
    tagsMatch: query.get('tagsMatch') === 'all' ? 'all' : 'any',
    compare: query.get('compare') === '1',
    a: side(''),
    b: side('b.'),
  };
}

/** The query string of a state (without `?`): `q` always (it marks a search that was run), other values when not the default. */
export function writeState(state: SearchState): string {
  const params = new URLSearchParams({ q: state.q });
  if (state.filter.trim() !== '') params.set('filter', state.filter);
  if (state.tags.trim() !== '') params.set('tags', state.tags);
  if (state.tagsMatch !== 'any') params.set('tagsMatch', state.tagsMatch);
  const side = (prefix: string, settings: Settings): void => {
    for (const key of SETTING_KEYS) if (settings[key] !== DEFAULT_SETTINGS[key]) params.set(`${prefix}${key}`, settings[key]);
  };
  side('', state.a);
  if (state.compare) {
    params.set('compare', '1');
    side('b.', state.b);
  }
  return params.toString();
}

/** A page whose query string names a query (even empty) shows a search that was asked for. */
export function wasRun(query: URLSearchParams): boolean {
  return query.has('q');
}

/** A number typed: absent when empty; the text itself when not a number, for the API to refuse. */
function numberOf(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

/**
 * The body of `POST /v1/spaces/{space}/search` for one side, holding only what differs from the
 * API's defaults (so it reads as what was chosen); an error when the filter is not JSON at all,
 * which no request could carry.
 */
export function requestOf(state: SearchState, side: 'a' | 'b'): { body: Record<string, unknown> } | { error: string } {
  const s = state[side];
  const body: Record<string, unknown> = {};
  if (state.q.trim() !== '') body['query'] = state.q;
  if (s.mode !== 'hybrid') body['mode'] = s.mode;
  if (s.mode === 'hybrid' && s.vectorWeight !== DEFAULT_SETTINGS.vectorWeight) body['vectorWeight'] = numberOf(s.vectorWeight);
  if (s.mode === 'hybrid' && s.fusion !== 'weighted') body['fusion'] = s.fusion;
  const limit = numberOf(s.limit);
  if (limit !== undefined && limit !== 10) body['limit'] = limit;
  const threshold = numberOf(s.threshold);
  if (threshold !== undefined) body['threshold'] = threshold;
  const rank = Object.fromEntries(Object.entries({ recency: numberOf(s.recency), importance: numberOf(s.importance) }).filter(([, v]) => v !== undefined));
  if (Object.keys(rank).length > 0) body['rank'] = rank;
  if (state.filter.trim() !== '') {
    try {
      body['filter'] = JSON.parse(state.filter) as unknown;
    } catch (e) {
      return { error: `The filter is not JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const tags = state.tags.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tags.length > 0) {
    body['tags'] = tags;
    if (state.tagsMatch === 'all') body['tagsMatch'] = 'all';
  }
  return { body };
}

/** A memory as a search hit carries it (the fields the playground shows). */
export interface HitMemory {
  id: string;
  content: string;
  tags: string[];
  kind: string;
}

/** One hit of `POST /v1/spaces/{space}/search` (src/core/views.ts `SearchHit`). */
export interface Hit {
  memory: HitMemory;
  score: number;
  scores: { vector?: number; keyword?: number; neighbor?: number; date?: number; relevance?: number; recency?: number; importance?: number; feedback?: number; narrative?: number; rerank?: number };
}

/** How a memory's rank in one list compares with another's: places up or down, the same, or absent there. */
export type Move = { kind: 'up' | 'down'; places: number } | { kind: 'same' } | { kind: 'new' } | { kind: 'gone' };

/** For each hit of `mine`, how its rank moved from `other`'s (`new` when `other` lacks it). */
export function movesFrom(other: readonly Hit[], mine: readonly Hit[]): Map<string, Move> {
  const rankThere = new Map(other.map((h, i) => [h.memory.id, i]));
  const moves = new Map<string, Move>();
  mine.forEach((hit, rank) => {
    const before = rankThere.get(hit.memory.id);
    const places = before === undefined ? 0 : before - rank;
    moves.set(hit.memory.id, before === undefined ? { kind: 'new' } : places > 0 ? { kind: 'up', places } : places < 0 ? { kind: 'down', places: -places } : { kind: 'same' });
  });
  return moves;
}

/** For each hit of `mine`, whether `other` has it too (`gone` when not; no move otherwise). */
export function missingFrom(other: readonly Hit[], mine: readonly Hit[]): Map<string, Move> {
  const there = new Set(other.map((h) => h.memory.id));
  return new Map(mine.filter((h) => !there.has(h.memory.id)).map((h) => [h.memory.id, { kind: 'gone' } as Move]));
}

/** One side's settings in a few words, as a column's heading says them. */
export function describeSettings(s: Settings): string {
  const parts: string[] = [s.mode];
  if (s.mode === 'hybrid') parts.push(s.fusion === 'rrf' ? `rrf, vector weight ${s.vectorWeight}` : `vector weight ${s.vectorWeight}`);
  parts.push(`limit ${s.limit.trim() === '' ? '10' : s.limit}`);
  if (s.threshold.trim() !== '') parts.push(`threshold ${s.threshold}`);
  if (s.recency.trim() !== '' || s.importance.trim() !== '') parts.push(`recency ${s.recency || 0}, importance ${s.importance || 0}`);
  return parts.join(', ');
}
