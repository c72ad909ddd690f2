/**
 * What one space contributes to a federation's release, computed from its own memories only
 * (docs/federations.md, "Insight kinds"). Each contribution is clipped to the bound its kind's
 * sensitivity is computed from; whether the bound cut it feeds the space's reputation.
 */
import type { CentroidRequest, HistogramRequest, MeanRequest, ReleaseRequest, TermsRequest } from './federations.js';
import { contentTerms, topTerms } from './insight-terms.js';
import { clamp, clipL1, clipL2, type Mechanism } from './privacy.js';
import type { JsonValue, MemoryRecord } from './types.js';

/** The fields of a memory a contribution reads. */
export type InsightMemory = Pick<MemoryRecord, 'content' | 'tags' | 'kind' | 'metadata' | 'embedding'>;

/** A histogram contribution: a non-negative value per label, within the bound. */
export interface HistogramContribution {
  kind: 'histogram';
  values: Map<string, number>;
  clipped: boolean;
}

/** A mean contribution: the space's local mean clamped to the interval, or nothing when it holds no value. */
export interface MeanContribution {
  kind: 'mean';
  value: number | null;
  clipped: boolean;
}

/** A terms contribution: the space's most frequent words, each counted once. */
export interface TermsContribution {
  kind: 'terms';
  terms: string[];
  clipped: false;
}

/** A centroid contribution: the space's mean embedding, L2-clipped; zeros when no memory matched. */
export interface CentroidContribution {
  kind: 'centroid';
  vector: number[];
  clipped: boolean;
}

/** One space's contribution to one release. */
export type Contribution = HistogramContribution | MeanContribution | TermsContribution | CentroidContribution;

/** Gathers a space's memories one at a time and makes its contribution. */
export interface ContributionBuilder {
  add(memory: InsightMemory): void;
  finish(): Contribution;
}

/** The neutral contribution of a space that could not be read: it shifts nothing and charges what the others are charged. */
export function emptyContribution(request: ReleaseRequest, dimension: number): Contribution {
  switch (request.kind) {
    case 'histogram':
      return { kind: 'histogram', values: new Map(), clipped: false };
    case 'mean':
      return { kind: 'mean', value: null, clipped: false };
    case 'terms':
      return { kind: 'terms', terms: [], clipped: false };
    case 'centroid':
      return { kind: 'centroid', vector: new Array<number>(dimension).fill(0), clipped: false };
  }
}

/** A builder for `request`'s contribution; `dimension` is the federation's for centroids. */
export function contributionBuilder(request: ReleaseRequest, mechanism: Mechanism, dimension: number): ContributionBuilder {
  switch (request.kind) {
    case 'histogram':
      return histogramBuilder(request.params, mechanism);
    case 'mean':
      return meanBuilder(request.params);
    case 'terms':
      return termsBuilder(request.params);
    case 'centroid':
      return centroidBuilder(request.params, dimension);
  }
}

/** Longest label a histogram counts; longer values are left out (they are rarely categories). */
const MAX_LABEL_CHARS = 128;

/** The labels a memory holds for a histogram's field. */
export function labelsOf(memory: InsightMemory, params: HistogramRequest): string[] {
  let raw: JsonValue[];
  if (params.field === 'tags') raw = memory.tags;
  else if (params.field === 'kind') raw = [memory.kind];
  else {
    const value = memory.metadata[params.key!];
    raw = value === undefined ? [] : Array.isArray(value) ? value : [value];
  }
  const labels = new Set<string>();
  for (const v of raw) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      const label = String(v);
      if (label.length > 0 && label.length <= MAX_LABEL_CHARS) labels.add(label);
    }
  }
  return [...labels];
}

function histogramBuilder(params: HistogramRequest, mechanism: Mechanism): ContributionBuilder {
  const counts = new Map<string, number>();
  const bins = params.bins === undefined ? undefined : new Set(params.bins);
  return {
    add(memory) {
      for (const label of labelsOf(memory, params)) {
        if (bins === undefined || bins.has(label)) counts.set(label, (counts.get(label) ?? 0) + 1);
      }
    },
    finish() {
      const kept = bins === undefined ? topTerms(counts, params.labelsPerSpace) : [...counts.keys()];
      const raw = kept.map((label) => counts.get(label)!);
      let values: number[];
      let clipped = false;
      if (params.contribution === 'share') {
        const total = raw.reduce((s, v) => s + v, 0);
        values = total === 0 ? raw : raw.map((v) => v / total);
      } else {
        const cut = mechanism === 'laplace' ? clipL1(raw, params.clip) : clipL2(raw, params.clip);
        values = cut.value;
        clipped = cut.clipped;
      }
      return { kind: 'histogram', values: new Map(kept.map((label, i) => [label, values[i]!])), clipped };
    },
  };
}

function meanBuilder(params: MeanRequest): ContributionBuilder {
  let sum = 0;
  let count = 0;
  return {
    add(memory) {
      const v = memory.metadata[params.key];
      if (typeof v === 'number' && Number.isFinite(v)) {
        sum += v;
        count += 1;
      }
    },
    finish() {
      if (count === 0) return { kind: 'mean', value: null, clipped: false };
      const cut = clamp(sum / count, params.lower, params.upper);
      return { kind: 'mean', value: cut.value, clipped: cut.clipped };
    },
  };
}

function termsBuilder(params: TermsRequest): ContributionBuilder {
  const documentFrequency = new Map<string, number>();
  return {
    add(memory) {
      for (const term of contentTerms(memory.content)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    },
    finish() {
      return { kind: 'terms', terms: topTerms(documentFrequency, params.termsPerSpace), clipped: false };
    },
  };
}

function centroidBuilder(params: CentroidRequest, dimension: number): ContributionBuilder {
  const sum = new Float64Array(dimension);
  let count = 0;
  return {
    add(memory) {
      if (memory.embedding.length !== dimension) return;
      for (let i = 0; i < dimension; i++) sum[i]! += memory.embedding[i]!;
      count += 1;
    },
    finish() {
      const mean = Array.from(sum, (v) => (count === 0 ? 0 : v / count));
      const cut = clipL2(mean, params.clip);
      return { kind: 'centroid', vector: cut.value, clipped: cut.clipped };
    },
  };
}
