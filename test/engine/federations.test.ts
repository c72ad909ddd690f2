import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKS, checkNoise, gaussianMoments, laplaceMoments, type NoiseMoments } from '../support/noise-stats.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

/**
 * Federated releases on the embedded backend: the noise of many releases of one fixed dataset
 * has the variance the mechanism promises, and no release or listing carries anything of one
 * space (the engine behaviours on every backend are in test/conformance/specs/federations.ts).
 */

const DIM = 8;
let ms: Awaited<ReturnType<typeof tempMemspace>>;

beforeAll(async () => {
  ms = await tempMemspace();
});
afterAll(async () => ms.cleanup());

/** Public bins per release: 1,000 noise draws per release, so a few hundred releases make a sample. */
const BINS = ['fact', 'note', ...Array.from({ length: 998 }, (_, i) => `bin-${i}`)];
/** Releases per mechanism: two per median-of-means block (BLOCKS blocks of 2,000 draws). */
const RELEASES = 2 * BLOCKS;

async function fixedDataset(prefix: string): Promise<string[]> {
  const spaces: string[] = [];
  for (let i = 0; i < 3; i++) {
    const name = `${prefix}-${i}`;
    await ms.spaces.create({ name, embedder: 'none', dimension: DIM, isolation: 'federated' });
    // 3 facts and 1 note per space: true counts 9 and 3, every other bin 0.
    await ms.memories.addMany(name, [
      ...Array.from({ length: 3 }, (_, j) => ({ content: `fact ${j}`, kind: 'fact', embedding: axisVector(DIM, j) })),
      { content: 'a note', kind: 'note', embedding: axisVector(DIM, 5) },
    ]);
    spaces.push(name);
  }
  return spaces;
}

/** The noise of every bin of RELEASES releases (released value minus the true count). */
async function releasedNoise(federation: string, params: Record<string, unknown>): Promise<number[]> {
  const truth = new Map([
    ['fact', 9],
    ['note', 3],
  ]);
  const noise: number[] = [];
  for (let r = 0; r < RELEASES; r++) {
    const release = await ms.federations.release(federation, { kind: 'histogram', params: { field: 'kind', bins: BINS, contribution: 'count', ...params } });
    for (const bin of release.result!['bins'] as { label: string; value: number }[]) noise.push(bin.value - (truth.get(bin.label) ?? 0));
  }
  return noise;
}

function expectNoise(samples: number[], moments: NoiseMoments): void {
  const check = checkNoise(samples, moments);
  expect(Math.abs(check.mean)).toBeLessThanOrEqual(check.meanTolerance);
  expect(Math.abs(check.variance - moments.variance)).toBeLessThanOrEqual(check.varianceTolerance);
}

describe('the noise of releases (median of means over 300 releases: each check fails by chance with probability below 1e-8)', () => {
  it('Laplace: released counts scatter around the truth with variance 2b², b = 2·clip/ε', async () => {
    await fixedDataset('lap');
    const f = await ms.federations.create({ topic: 'kinds', mechanism: 'laplace', epsilonPerRelease: 0.5, minParticipants: 3 });
    for (const s of ['lap-0', 'lap-1', 'lap-2']) await ms.federations.join(f.id, { space: s, epsilonBudget: 1000 });
    const b = (2 * 10) / 0.5;
    expectNoise(await releasedNoise(f.id, { clip: 10 }), laplaceMoments(b));
    expect((await ms.federations.ofSpace('lap-0')).items[0]!.epsilonSpent).toBe(RELEASES * 0.5);
  }, 120_000);

  it('Gaussian: variance σ², σ = √2·clip·sqrt(2 ln(1.25/δ))/ε', async () => {
    await fixedDataset('gau');
    const f = await ms.federations.create({ topic: 'kinds', mechanism: 'gaussian', epsilonPerRelease: 1, delta: 1e-5, minParticipants: 2 });
    for (const s of ['gau-0', 'gau-1', 'gau-2']) await ms.federations.join(f.id, { space: s, epsilonBudget: 1000 });
    const sigma = (Math.SQRT2 * 10 * Math.sqrt(2 * Math.log(1.25 / 1e-5))) / 1;
    expectNoise(await releasedNoise(f.id, { clip: 10 }), gaussianMoments(sigma));
  }, 120_000);
});

describe('a crafted space', () => {
  const CANARIES = ['canarycontentword', 'Zyxwquat', 'user-canary-7731', 'mem-canary-0042', 'canary.owner@example.com', 'tag-canary-only-here', 'kindcanary'];

  it('no release, listing or view holds its content, ids, user ids, tags or anything of it alone', async () => {
    const spaces = ['plain-0', 'plain-1', 'plain-2', 'crafted'];
    for (const name of spaces) await ms.spaces.create({ name, embedder: 'none', dimension: DIM, isolation: 'federated' });
    for (const name of spaces.slice(0, 3)) {
      await ms.memories.addMany(name, [
        { content: 'customers ask about refunds and shipping delays', tags: ['billing'], metadata: { score: 3, plan: 'pro' }, embedding: axisVector(DIM, 1) },
        { content: 'refunds for damaged shipping boxes', tags: ['billing', 'shipping'], metadata: { score: 4, plan: 'basic' }, embedding: axisVector(DIM, 2) },
      ]);
    }
    await ms.memories.addMany(
      'crafted',
      Array.from({ length: 30 }, (_, i) => ({
        id: `mem-canary-00${40 + i}`,
        content: `canarycontentword Zyxwquat refunds canary.owner@example.com ${i}`,
        userId: 'user-canary-7731',
        kind: 'kindcanary',
        tags: ['tag-canary-only-here', 'billing'],
        metadata: { owner: 'user-canary-7731', plan: 'Zyxwquat', score: 1000 },
        embedding: axisVector(DIM, 3),
      })),
    );
    const f = await ms.federations.create({ topic: 'canaries', mechanism: 'laplace', epsilonPerRelease: 1, minParticipants: 2 });
    for (const s of spaces) await ms.federations.join(f.id, { space: s, epsilonBudget: 100, ...(s === 'crafted' && { privacy: 'anonymized' }) });
    const requests = [
      { kind: 'histogram', params: { field: 'tags', threshold: 0 } },
      { kind: 'histogram', params: { field: 'kind', contribution: 'count', threshold: 0 } },
      { kind: 'histogram', params: { field: 'metadata', key: 'plan', threshold: 0 } },
      { kind: 'histogram', params: { field: 'metadata', key: 'owner', threshold: 0 } },
      { kind: 'terms', params: { threshold: 0 } },
      { kind: 'mean', params: { key: 'score', lower: 0, upper: 5 } },
      { kind: 'centroid', params: {} },
    ];
    const seen: unknown[] = [];
    for (const request of requests) seen.push(await ms.federations.release(f.id, request));
    seen.push(await ms.federations.releases(f.id), await ms.federations.get(f.id), await ms.federations.list());
    for (const s of spaces.slice(0, 3)) seen.push(await ms.federations.ofSpace(s), (await ms.spaces.audit(s)).items);
    const text = JSON.stringify(seen);
    for (const canary of CANARIES) expect(text.toLowerCase()).not.toContain(canary.toLowerCase());
    expect(text).not.toContain('"crafted"'); // anonymized: not even its name
    // Only what at least k = 2 spaces hold can appear (whether it passes the noisy threshold is chance).
    const vocabulary = ['customers', 'ask', 'refunds', 'shipping', 'delays', 'damaged', 'boxes'];
    const terms = (seen[4] as { result: { terms: { term: string }[] } }).result.terms.map((t) => t.term);
    for (const term of terms) expect(vocabulary).toContain(term);
    const labels = (seen[0] as { result: { bins: { label: string }[] } }).result.bins.map((b) => b.label);
    for (const label of labels) expect(['billing', 'shipping']).toContain(label);
  });
});
