import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemspaceError } from '../../src/core/errors.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID, LocalEmbedder } from '../../src/embed/local-embedder.js';

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  return expect(promise).rejects.toSatisfy((error) => error instanceof MemspaceError && error.code === code);
}

// Distinct sentences of varied length, so length-sorted batching really reorders them.
const SENTENCES = Array.from({ length: 30 }, (_, i) => {
  const subjects = ['The engineer', 'A small dog', 'Our quarterly report', 'The old lighthouse', 'My neighbour', 'The database'];
  const verbs = ['described', 'ignored', 'celebrated', 'questioned', 'rebuilt'];
  const tails = ['yesterday.', 'after a very long and tiring meeting with the whole team.', 'in the rain.', 'twice.'];
  return `${subjects[i % subjects.length]} ${verbs[i % verbs.length]} item ${i} ${tails[i % tails.length]}`;
});

describe('LocalEmbedder with the real model', () => {
  let embedder: LocalEmbedder;

  beforeAll(async () => {
    // batchSize 8 so 30 texts become four batches spread over both workers.
    embedder = new LocalEmbedder({ poolSize: 2, batchSize: 8 });
    await embedder.warmUp();
  }, 120_000);

  afterAll(async () => {
    await embedder.close();
  });

  it('identifies itself', () => {
    expect(embedder.id).toBe(LOCAL_EMBEDDER_ID);
    expect(embedder.id).toBe('local:use-lite');
    expect(embedder.dimension).toBe(512);
    expect(LOCAL_EMBEDDER_DIMENSION).toBe(512);
  });

  it('returns one 512-dimension unit vector per text, each with its own buffer', async () => {
    const vectors = await embedder.embed(SENTENCES.slice(0, 3));
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(512);
      expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 5);
      expect(vector.byteOffset).toBe(0);
      expect(vector.buffer.byteLength).toBe(512 * 4);
    }
  });

  it('keeps input order when a call is split into batches over the workers', async () => {
    const together = await embedder.embed(SENTENCES);
    const reversed = await embedder.embed([...SENTENCES].reverse());
    expect(together).toHaveLength(SENTENCES.length);
    for (const [i, vector] of together.entries()) {
      const mirror = reversed[SENTENCES.length - 1 - i];
      expect(mirror).toBeDefined();
      expect(dot(vector, mirror ?? new Float32Array(512))).toBeCloseTo(1, 5);
    }
    // Spot-check against texts embedded alone, with no batch neighbours at all.
    for (const i of [0, 7, 13, 29]) {
      const [alone] = await embedder.embed([SENTENCES[i] ?? '']);
      expect(dot(together[i] ?? new Float32Array(512), alone ?? new Float32Array(512))).toBeCloseTo(1, 5);
    }
    // Different texts really get different vectors (the order check above would pass on constants).
    expect(dot(together[0] ?? new Float32Array(512), together[1] ?? new Float32Array(512))).toBeLessThan(0.95);
  });

  it('places paraphrases closer than unrelated sentences', async () => {
    const [cat, kitten, revenue] = await embedder.embed([
      'The cat sits on the mat',
      'A kitten is resting on a rug',
      'Quarterly revenue grew by 8 percent',
    ]);
    if (cat === undefined || kitten === undefined || revenue === undefined) throw new Error('missing vectors');
    expect(dot(cat, kitten)).toBeGreaterThan(dot(cat, revenue) + 0.2);
  });

  it('gives the same vector for the same text, within and across calls', async () => {
    const text = 'Remember that the user prefers tea over coffee.';
    const [a, b] = await embedder.embed([text, text]);
    const [c] = await embedder.embed([text]);
    if (a === undefined || b === undefined || c === undefined) throw new Error('missing vectors');
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(dot(a, c)).toBeCloseTo(1, 6);
  });

  it('embeds whitespace-only and non-Latin text', async () => {
    const vectors = await embedder.embed(['   ', 'Größenordnung 東京 🙂']);
    expect(vectors).toHaveLength(2);
    for (const vector of vectors) expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 5);
  });

  it('rejects empty strings with VALIDATION_FAILED naming the index', async () => {
    const error: unknown = await embedder.embed(['fine', '']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MemspaceError);
    expect((error as MemspaceError).code).toBe('VALIDATION_FAILED');
    expect((error as MemspaceError).details).toEqual({ index: 1 });
  });

  it('returns an empty list for no texts', async () => {
    await expect(embedder.embed([])).resolves.toEqual([]);
  });
});

describe('LocalEmbedder lifecycle and failures', () => {
  let dir: string;
  /** A stand-in worker speaking the pool protocol, so crashes can be triggered on demand. */
  let fakeWorker: URL;
  /** A worker that starts and never reports its model loaded. */
  let neverReady: URL;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'memspace-embed-'));
    const file = path.join(dir, 'fake-worker.mjs');
    await writeFile(
      file,
      `import { parentPort } from 'node:worker_threads';
parentPort.postMessage({ type: 'ready', loadMs: 0 });
parentPort.on('message', ({ id, texts }) => {
  if (texts.includes('exit')) process.exit(3);
  if (texts.includes('throw')) throw new Error('boom');
  if (texts.includes('hang')) return;
  if (texts.includes('fail')) return parentPort.postMessage({ id, ok: false, message: 'model failed' });
  const vectors = new Float32Array(texts.length * 512);
  texts.forEach((text, row) => { vectors[row * 512 + (text.length % 512)] = 1; });
  parentPort.postMessage({ id, ok: true, vectors }, [vectors.buffer]);
});
`,
    );
    fakeWorker = pathToFileURL(file);
    const stuck = path.join(dir, 'never-ready.mjs');
    await writeFile(stuck, 'setInterval(() => {}, 1_000);\n');
    neverReady = pathToFileURL(stuck);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports missing model files as BACKEND_UNAVAILABLE with the cause, then can retry', async () => {
    const embedder = new LocalEmbedder({ poolSize: 1, modelDir: dir });
    try {
      const error: unknown = await embedder.embed(['hello']).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MemspaceError);
      expect((error as MemspaceError).code).toBe('BACKEND_UNAVAILABLE');
      expect((error as MemspaceError).message).toMatch(/failed to load/);
      expect((error as MemspaceError).cause).toBeInstanceOf(Error);
      expect(String((error as Error & { cause: Error }).cause.message)).toMatch(/model\.json|vocab\.json/);
      // The pool starts afresh rather than caching the failure.
      await expectCode(embedder.embed(['again']), 'BACKEND_UNAVAILABLE');
      await expectCode(embedder.warmUp(), 'BACKEND_UNAVAILABLE');
    } finally {
      await embedder.close();
    }
  });

  it('reports a missing worker entry as BACKEND_UNAVAILABLE', async () => {
    const embedder = new LocalEmbedder({ poolSize: 1, workerUrl: pathToFileURL(path.join(dir, 'nope.mjs')) });
    await expectCode(embedder.embed(['hello']), 'BACKEND_UNAVAILABLE');
    await embedder.close();
  });

  it.each(['exit', 'throw', 'fail'])('rejects the call whose worker hits "%s" and replaces the worker', async (trigger) => {
    const embedder = new LocalEmbedder({ poolSize: 1, workerUrl: fakeWorker });
    try {
      const doomed = embedder.embed(['ok', trigger]);
      // Queued behind the doomed batch on the same (only) worker: must be served by the replacement.
      const queued = embedder.embed(['queued']);
      await expectCode(doomed, 'BACKEND_UNAVAILABLE');
      await expect(queued).resolves.toHaveLength(1);
      await expect(embedder.embed(['later', 'still fine'])).resolves.toHaveLength(2);
    } finally {
      await embedder.close();
    }
  });

  it('times out a stuck worker instead of hanging', async () => {
    // The batch timeout alone is short: starting the worker (and its replacement) is bounded by
    // loadTimeoutMs, whose default a busy machine meets, so only the hang can run out of time.
    const embedder = new LocalEmbedder({ poolSize: 1, workerUrl: fakeWorker, timeoutMs: 1_000 });
    try {
      const error: unknown = await embedder.embed(['hang']).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MemspaceError);
      expect((error as MemspaceError).code).toBe('BACKEND_UNAVAILABLE');
      expect((error as MemspaceError).message).toBe('local embedding worker failed: embedding worker took longer than 1000 ms embedding 1 texts');
      await expect(embedder.embed(['recovered'])).resolves.toHaveLength(1);
    } finally {
      await embedder.close();
    }
  });

  it('gives up on a worker that never finishes loading once loadTimeoutMs has passed', async () => {
    const embedder = new LocalEmbedder({ poolSize: 1, workerUrl: neverReady, loadTimeoutMs: 200 });
    try {
      const error: unknown = await embedder.embed(['hello']).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MemspaceError);
      expect((error as MemspaceError).code).toBe('BACKEND_UNAVAILABLE');
      expect((error as MemspaceError).message).toBe('local embedding model failed to load: embedding worker took longer than 200 ms loading the model');
    } finally {
      await embedder.close();
    }
  });

  it('keeps order with many batches over the pool', async () => {
    const embedder = new LocalEmbedder({ poolSize: 2, batchSize: 3, workerUrl: fakeWorker });
    try {
      const texts = Array.from({ length: 40 }, (_, i) => 'x'.repeat(40 - i));
      const vectors = await embedder.embed(texts);
      for (const [i, vector] of vectors.entries()) expect(vector[40 - i]).toBe(1);
    } finally {
      await embedder.close();
    }
  });

  it('close() rejects pending and later calls, and is idempotent', async () => {
    const embedder = new LocalEmbedder({ poolSize: 1, workerUrl: fakeWorker });
    await expect(embedder.embed(['warm'])).resolves.toHaveLength(1);
    const pending = expectCode(embedder.embed(['hang']), 'BACKEND_UNAVAILABLE');
    await Promise.all([embedder.close(), embedder.close()]);
    await pending;
    await expectCode(embedder.embed(['after close']), 'BACKEND_UNAVAILABLE');
    await expectCode(embedder.warmUp(), 'BACKEND_UNAVAILABLE');
    await embedder.close();
  });

  it('validates its options', () => {
    expect(() => new LocalEmbedder({ poolSize: 0 })).toThrow(MemspaceError);
    expect(() => new LocalEmbedder({ batchSize: 1.5 })).toThrow(MemspaceError);
    expect(() => new LocalEmbedder({ loadTimeoutMs: 0 })).toThrow(MemspaceError);
  });
});
