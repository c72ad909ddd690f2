import { DOT_KERNEL_BASE64 } from './dot-kernel.generated.js';

/** The part of the WebAssembly API this file uses (Node has it; @types/node does not type it all). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Compiled once per process; each index instantiates its own memory. */
let compiled: object | undefined;

/** WebAssembly pages are 64 KiB. */
const PAGE = 65_536;

interface Exports {
  dots(rows: number, n: number, dim: number, query: number, out: number): void;
  dots_i8(codes: number, n: number, dim: number, query: number, out: number): void;
  quantize(rows: number, codes: number, scales: number, first: number, count: number, dim: number): void;
  checksum(at: number, words: number): number;
}

/** Approximate scores of int8 rows, with the bound on their error; see {@link DotKernel.approxScores}. */
export interface ApproxScores {
  /** Integer dot products of each row's codes with the int16 query. */
  dots: Int32Array;
  /** Per-row scale: approx score of row i = dots[i] * scales[i] * queryScale. */
  scales: Float32Array;
  queryScale: number;
  /** The error of row i's approx score is at most scales[i] * errorPerScale. */
  errorPerScale: number;
}

/**
 * Rows of floats in WebAssembly memory with SIMD kernels: exact f32 dot products (about four
 * times a JavaScript loop) and int8 dot products over a quantized copy that reads a quarter of
 * the bytes. Layout, for capacity C rows of D floats: f32 rows at 0, int8 codes, f32 scales,
 * then scratch (query as f32, query as int16, scores); everything after the rows moves when
 * the capacity grows.
 */
export class DotKernel {
  private readonly memory: WasmMemory;
  private readonly fns: Exports;
  private capacity = 0;
  /** The rows, `capacity * dim` floats; replaced whenever memory grows. */
  rows: Float32Array = new Float32Array(0);

  /** True when the kernel can serve vectors of `dim` floats. */
  static supports(dim: number): boolean {
    return dim % 16 === 0 && dim <= 8192;
  }

  constructor(private readonly dim: number) {
    compiled ??= new wasm.Module(Buffer.from(DOT_KERNEL_BASE64, 'base64'));
    const instance = new wasm.Instance(compiled, {});
    this.memory = instance.exports['memory'] as WasmMemory;
    this.fns = instance.exports as unknown as Exports;
  }

  private get codesAt(): number {
    return this.capacity * this.dim * 4;
  }
  private get scalesAt(): number {
    return this.codesAt + this.capacity * this.dim;
  }
  private get queryAt(): number {
    return this.scalesAt + this.capacity * 4;
  }
  private get query16At(): number {
    return this.queryAt + this.dim * 4;
  }
  private get outAt(): number {
    return this.query16At + this.dim * 2;
  }

  /** Makes room for `capacity` rows, keeping the rows, codes and scales already held. */
  reserve(capacity: number): void {
    const next = Math.ceil(capacity / 4) * 4; // keeps every region 16-byte aligned
    if (next <= this.capacity) return;
    const old = { codes: this.codesAt, scales: this.scalesAt, rows: this.capacity };
    const needed = next * this.dim * 5 + next * 4 + this.dim * 6 + next * 4;
    const have = this.memory.buffer.byteLength;
    if (needed > have) this.memory.grow(Math.ceil((needed - have) / PAGE));
    this.capacity = next;
    const bytes = new Uint8Array(this.memory.buffer);
    // Regions only move right: move the rightmost first so nothing is overwritten before it moves.
    bytes.copyWithin(this.scalesAt, old.scales, old.scales + old.rows * 4);
    bytes.copyWithin(this.codesAt, old.codes, old.codes + old.rows * this.dim);
    this.rows = new Float32Array(this.memory.buffer, 0, next * this.dim);
  }

  /** Refreshes the int8 codes of rows first..first+count-1 after their floats changed. */
  quantize(first: number, count: number): void {
    if (count > 0) this.fns.quantize(0, this.codesAt, this.scalesAt, first, count, this.dim);
  }

  /** Copies row `from` (floats, codes and scale) over row `to`. */
  moveRow(from: number, to: number): void {
    const bytes = new Uint8Array(this.memory.buffer);
    const d = this.dim;
    bytes.copyWithin(to * d * 4, from * d * 4, (from + 1) * d * 4);
    bytes.copyWithin(this.codesAt + to * d, this.codesAt + from * d, this.codesAt + (from + 1) * d);
    bytes.copyWithin(this.scalesAt + to * 4, this.scalesAt + from * 4, this.scalesAt + from * 4 + 4);
  }

  /** Exact scores of the first `n` rows against `query`, valid until the next call or growth. */
  score(query: Float32Array, n: number): Float32Array {
    new Float32Array(this.memory.buffer, this.queryAt, this.dim).set(query);
    this.fns.dots(0, n, this.dim, this.queryAt, this.outAt);
    return new Float32Array(this.memory.buffer, this.outAt, n);
  }

  /** Exact scores of the rows at `slots` against `query`, in order; valid until the next call or growth. */
  scoreSlots(query: Float32Array, slots: readonly number[]): Float32Array {
    new Float32Array(this.memory.buffer, this.queryAt, this.dim).set(query);
    const rowBytes = this.dim * 4;
    for (let i = 0; i < slots.length; i++) this.fns.dots(slots[i]! * rowBytes, 1, this.dim, this.queryAt, this.outAt + i * 4);
    return new Float32Array(this.memory.buffer, this.outAt, slots.length);
  }

  /**
   * Approximate scores of the first `n` rows from their int8 codes and an int16 copy of the
   * query, with a rigorous bound on each one's error, so callers can keep exactness by
   * rescoring every row whose interval reaches the k-th best lower bound.
   */
  approxScores(query: Float32Array, n: number): ApproxScores {
    let maxAbs = 0;
    for (let j = 0; j < this.dim; j++) maxAbs = Math.max(maxAbs, Math.abs(query[j]!));
    // Largest int16 query value for which no i32 lane or sum can overflow: dim * 127 * q < 2^31.
    const qMax = Math.min(32_767, Math.floor((2 ** 31 - 1) / (127 * this.dim)));
    const queryScale = maxAbs > 0 ? maxAbs / qMax : 0;
    const q16 = new Int16Array(this.memory.buffer, this.query16At, this.dim);
    let q16Abs = 0;
    for (let j = 0; j < this.dim; j++) {
      const v = queryScale > 0 ? Math.round(query[j]! / queryScale) : 0;
      q16[j] = v;
      q16Abs += Math.abs(v);
    }
    this.fns.dots_i8(this.codesAt, n, this.dim, this.query16At, this.outAt);
    // |exact - approx| <= sum |q - q^| |v| + |q^| |v - v^|
    //                  <= (queryScale / 2) * (dim * 127 * scale_i) + (scale_i / 2) * |q^|_1,
    // as |v_j| <= 127 * scale_i, |v_j - v^_j| <= scale_i / 2 and |q_j - q^_j| <= queryScale / 2.
    // The factor 1.001 covers float rounding in the quantizer and in the sums.
    const errorPerScale = 1.001 * ((queryScale / 2) * this.dim * 127 + (q16Abs * queryScale) / 2);
    return {
      dots: new Int32Array(this.memory.buffer, this.outAt, n),
      scales: new Float32Array(this.memory.buffer, this.scalesAt, n),
      queryScale,
      errorPerScale,
    };
  }

  /** The int8 codes and the scales of the first `n` rows, as bytes: for saving, or for loading in place. */
  quantized(n: number): { codes: Uint8Array; scales: Uint8Array } {
    return {
      codes: new Uint8Array(this.memory.buffer, this.codesAt, n * this.dim),
      scales: new Uint8Array(this.memory.buffer, this.scalesAt, n * 4),
    };
  }

  /**
   * {@link laneChecksum}s of the first `n` rows, their codes and their scales, folded into one;
   * computed in WebAssembly, so fast even before V8 warms up.
   */
  checksum(n: number): number {
    return foldChecksums(
      this.fns.checksum(0, n * this.dim) >>> 0,
      this.fns.checksum(this.codesAt, (n * this.dim) / 4) >>> 0,
      this.fns.checksum(this.scalesAt, n) >>> 0,
    );
  }
}

/**
 * A four-lane Fletcher sum over 32-bit words, as the kernel's `checksum` computes it: lane j
 * adds the words at positions j mod 4, then the lanes fold into one number. For vectors whose
 * dimension the kernel does not serve.
 */
export function laneChecksum(words: Int32Array): number {
  const a = [1, 1, 1, 1];
  const b = [0, 0, 0, 0];
  for (let i = 0; i < words.length; i++) {
    const lane = i & 3;
    a[lane] = (a[lane]! + words[i]!) | 0;
    b[lane] = (b[lane]! + a[lane]!) | 0;
  }
  const sumB = (b[0]! + b[1]! + b[2]! + b[3]!) | 0;
  const sumA = (a[0]! + a[1]! + a[2]! + a[3]!) | 0;
  return (Math.imul(sumB, 0x9e3779b1) ^ sumA) >>> 0;
}

/** Folds the checksums of a kernel's rows, codes and scales into one. */
export function foldChecksums(rows: number, codes: number, scales: number): number {
  return (Math.imul(rows ^ Math.imul(codes, 0x01000193), 0x9e3779b1) ^ scales) >>> 0;
}
