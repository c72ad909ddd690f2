/**
 * Which methods of the engine and of the storage ports get a span, and where each finds its
 * space. Spaces are only ever taken from these positions, so an argument that holds a key, a
 * query or content is never read (keys.authenticate's secret is `none`).
 */
import type { Backend } from '../core/ports/backend.js';
import type { SpaceCatalog } from '../core/ports/space-catalog.js';
import type { SpaceReads, SpaceStore } from '../core/ports/space-store.js';
import type { Tracer } from '../core/ports/tracer.js';
import { nameOf, traced, type TracedMethods } from './traced.js';

const recordName = (args: readonly unknown[]): unknown => nameOf(args[0]);

/** The front ends' services (the members of `Memspace`), by member name. */
export const SERVICE_SPANS = {
  memories: {
    add: 0,
    addMany: 0,
    get: 0,
    list: 0,
    update: 0,
    delete: 0,
    deleteMatching: 0,
    history: 0,
    relate: 0,
    relations: 0,
    unrelate: 0,
    addContext: 0,
    getContext: 0,
    deleteContext: 0,
  },
  search: { run: 0, across: 'many', settleIndex: 0 },
  spaces: { create: recordName, list: 'many', get: 0, update: 0, followProject: 'many', delete: 0, audit: 0, verifyAudit: 0, recordAudit: 0 },
  projects: { create: 'many', list: 'many', get: 'many', update: 'many', delete: 'many' },
  feedback: { record: 0, reset: 0, rerank: 0 },
  consolidation: { run: 0, undo: 0, lastPassAt: 0, turn: 'many' },
  transfer: { exportSpace: 0, importSpace: 0 },
  lifecycle: { archive: 0, restore: 0 },
  shares: { create: 0, list: 0, incoming: 0, delete: 0 },
  federations: { create: 'many', list: 'many', get: 'many', join: 'many', leave: 1, release: 'many', releases: 'many', ofSpace: 0 },
  keys: { create: 'none', list: 'none', revoke: 'none', authenticate: 'none', ensureLive: 'none', ensureRootKey: 'none' },
  changes: { follow: 0 },
  health: { health: 'many', spaceHealth: 0 },
  operators: { report: 'many' },
  sweeper: { sweepSpace: 0, sweep: 'many' },
  splits: { split: 'many', merge: 'many', startSplit: 'many', startMerge: 'many' },
  route: { route: 'many' },
} as const satisfies Record<string, TracedMethods>;

/**
 * `memspace` with each service of {@link SERVICE_SPANS} it has traced (the parts tests reach
 * into, the registry and backend, stay as they are); with tracing off, `memspace` itself.
 */
export function tracedServices<M extends object>(tracer: Tracer, memspace: M): M {
  if (!tracer.enabled) return memspace;
  const out: Record<string, unknown> = { ...(memspace as Record<string, unknown>) };
  for (const [name, methods] of Object.entries(SERVICE_SPANS)) {
    const service = out[name];
    if (typeof service === 'object' && service !== null) out[name] = traced(tracer, service, name, methods);
  }
  return out as M;
}

/** The access check: `authorize(principal, space, role, call)`, which every service asks first; its refusals end with their code. */
export const GUARD_SPANS: TracedMethods = { authorize: 1 };

/** The catalogue's methods (`catalog.*`); `open` is wrapped further so that each space's store is traced. */
const CATALOG_SPANS: TracedMethods = {
  create: recordName,
  get: 0,
  list: 'many',
  update: recordName,
  delete: 0,
  open: recordName,
  inspect: recordName,
  inspectConsolidation: recordName,
};

/** Every primitive of a space's store but `recordAccess` (synchronous, not durable, called with every read) and `read` (wrapped apart). */
const STORE_METHODS = [
  'getMemories',
  'listMemories',
  'countMemories',
  'history',
  'keywordSearch',
  'vectorSearch',
  'runNeighbors',
  'vectorScores',
  'listRelations',
  'getContext',
  'auditEntries',
  'changes',
  'feedBounds',
  'firstChangeSince',
  'hasSuperseded',
  'pheromones',
  'narrative',
  'search',
  'insertMemories',
  'updateMemory',
  'deleteMemories',
  'consolidate',
  'undoConsolidation',
  'consolidationStats',
  'unfinishedConsolidationRuns',
  'sweepExpired',
  'sweepDecayed',
  'decayedCount',
  'compactChanges',
  'recordFeedback',
  'resetFeedback',
  'sweepFeedback',
  'feedbackStats',
  'insertContext',
  'deleteContext',
  'dump',
  'restore',
  'settleIndex',
  'insertRelation',
  'deleteRelation',
  'appendAudit',
  'verifyAudit',
  'stats',
  'integrityCheck',
  'close',
] as const satisfies readonly (keyof SpaceStore)[];

/**
 * `backend` with its catalogue traced and every store it opens traced as `store.<method>` with
 * the space's name; with tracing off, `backend` itself.
 */
export function tracedBackend(tracer: Tracer, backend: Backend): Backend {
  if (!tracer.enabled) return backend;
  const catalog = traced(tracer, backend.spaces, 'catalog', CATALOG_SPANS);
  const spaces: SpaceCatalog = new Proxy(catalog, {
    get(target, property) {
      if (property !== 'open') return Reflect.get(target, property, target);
      return async (record: Parameters<SpaceCatalog['open']>[0]) => tracedStore(tracer, await target.open(record), record.name);
    },
  });
  return new Proxy(backend, {
    get(target, property) {
      if (property === 'spaces') return spaces;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A store of space `space` with a span around each primitive; the reads of a session are traced too. */
export function tracedStore(tracer: Tracer, store: SpaceStore, space: string): SpaceStore {
  if (!tracer.enabled) return store;
  // Every method of a store is about its own space, whatever its arguments.
  const methods: TracedMethods = Object.fromEntries([...STORE_METHODS, 'read'].map((name) => [name, () => space]));
  const spanned = traced(tracer, store, 'store', methods);
  const read = <T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T> => spanned.read((reads) => fn(traced(tracer, reads, 'store', methods)));
  return new Proxy(spanned, { get: (target, property) => (property === 'read' ? read : Reflect.get(target, property, target)) });
}
