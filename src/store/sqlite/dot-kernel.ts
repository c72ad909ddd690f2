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

/**
 * Rows of floats in WebAssembly memory and a SIMD kernel computing their dot products with a
 * query: about four times the speed of a JavaScript loop. Rows start at offset 0; the query
 * and the scores sit after the last row and move when the rows grow.
 */
export class DotKernel {
  private readonly memory: WasmMemory;
  private readonly dots: (rows: number, n: number, dim: number, query: number, out: number) => void;
  private readonly sum: (at: number, words: number) => number;
  private capacity = 0;
  /** The rows, `capacity * dim` floats; replaced whenever memory grows. */
  rows: Float32Array = new Float32Array(0);

  /** True when the kernel can serve vectors of `dim` floats. */
  static supports(dim: number): boolean {
    return dim % 16 === 0;
  }

  constructor(private readonly dim: number) {
    compiled ??= new wasm.Module(Buffer.from(DOT_KERNEL_BASE64, 'base64'));
    const instance = new wasm.Instance(compiled, {});
    this.memory = instance.exports['memory'] as WasmMemory;
    this.dots = instance.exports['dots'] as DotKernel['dots'];
    this.sum = instance.exports['checksum'] as DotKernel['sum'];
  }

  /** Makes room for `capacity` rows, keeping the rows already held. */
  reserve(capacity: number): void {
    if (capacity <= this.capacity) return;
    const needed = capacity * this.dim * 4 + this.dim * 4 + capacity * 4;
    const have = this.memory.buffer.byteLength;
    if (needed > have) this.memory.grow(Math.ceil((needed - have) / PAGE));
    this.capacity = capacity;
    this.rows = new Float32Array(this.memory.buffer, 0, capacity * this.dim);
  }

  /** {@link laneChecksum} of the first `n` rows, computed in WebAssembly: fast even before V8 warms up. */
  checksum(n: number): number {
    return this.sum(0, n * this.dim) >>> 0;
  }

  /** Scores of the first `n` rows against `query`, valid until the next call or growth. */
  score(query: Float32Array, n: number): Float32Array {
    const queryAt = this.capacity * this.dim * 4;
    const outAt = queryAt + this.dim * 4;
    new Float32Array(this.memory.buffer, queryAt, this.dim).set(query);
    this.dots(0, n, this.dim, queryAt, outAt);
    return new Float32Array(this.memory.buffer, outAt, n);
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
