import { beforeAll, beforeEach, expect } from 'vitest';
import type { loadConfig } from '../../src/config.js';
import { isMemspaceError } from '../../src/core/errors.js';
import type { ExportLine } from '../../src/core/views.js';
import type { MemspaceEngine } from '../../src/memspace.js';

/** Configuration overrides for one open (what `loadConfig` takes as flags). */
export type ConfigOverrides = NonNullable<Parameters<typeof loadConfig>[0]>;

/** How a spec opens memspace on the backend under test. */
export interface OpenOptions {
  /** Clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Configuration beyond what the backend itself sets (its data directory or URL). */
  config?: ConfigOverrides;
}

/** One started backend: opens any number of memspaces over the same storage. */
export interface Backend {
  /** Opens a fresh `MemspaceEngine` over this backend's storage; the caller closes it. */
  open(options?: OpenOptions): Promise<MemspaceEngine>;
  /** Stops the backend and removes its storage. */
  cleanup(): Promise<void>;
}

/** Starts a backend; called once per test file, so it may be slow (a PGlite server takes seconds). */
export type BackendFactory = () => Promise<Backend>;

/**
 * What each spec module receives. Every test shares one backend, so a spec makes its spaces
 * with {@link Suite.name} and never assumes the catalogue holds only its own spaces.
 */
export interface Suite {
  /** Opens a memspace for the running test; it is closed after the test. */
  open(options?: OpenOptions): Promise<MemspaceEngine>;
  /**
   * Opens one memspace for every test of the enclosing `describe` (call it inside one);
   * the getter is valid inside hooks and tests.
   */
  shared(options?: OpenOptions): () => MemspaceEngine;
  /** A space name no test of this backend has used: `prefix` and a counter. */
  name(prefix?: string): string;
}

/** Registers a spec module's `describe` blocks. */
export type Spec = (suite: Suite) => void;

/** A 4-dimensional unit vector whose cosine with the query [1, 0, 0, 0] is `cos`. */
export const atCosine = (cos: number): number[] => [cos, Math.sqrt(1 - cos * cos), 0, 0];

/** An asymmetric matcher for a `MemspaceError` of this code. */
export const code = (c: string) => expect.objectContaining({ code: c });

/** The code and details of the `MemspaceError` a promise rejects with. */
export async function failure(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> | undefined }> {
  try {
    await p;
  } catch (error) {
    if (isMemspaceError(error)) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('expected a failure');
}

/** Every line of a space's export. */
export async function exportLines(ms: MemspaceEngine, space: string): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  for await (const line of ms.transfer.exportSpace(space)) lines.push(line);
  return lines;
}

/** Lines as an import reads them. */
export async function* asLines(lines: readonly unknown[]): AsyncGenerator<string> {
  for (const line of lines) yield JSON.stringify(line);
}

/** A shared memspace with two fresh spaces per test: `alpha`, the victim, and `beta`, the one attacks come through. */
export interface TwoSpaces {
  readonly ms: MemspaceEngine;
  /** The space whose data must never be seen or changed through `beta`. */
  readonly alpha: string;
  readonly beta: string;
}

/** Opens the shared memspace of a describe and makes two new spaces without an embedder before each test. */
export function twoSpaces(suite: Suite, dimension: number, options?: OpenOptions): TwoSpaces {
  const shared = suite.shared(options);
  const t = { ms: undefined as unknown as MemspaceEngine, alpha: '', beta: '' };
  beforeAll(() => {
    t.ms = shared();
  });
  beforeEach(async () => {
    t.alpha = suite.name('alpha');
    t.beta = suite.name('beta');
    for (const name of [t.alpha, t.beta]) await t.ms.spaces.create({ name, embedder: 'none', dimension });
  });
  return t;
}
