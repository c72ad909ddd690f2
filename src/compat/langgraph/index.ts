/**
 * `memspace/langgraph`: a LangGraph.js `BaseStore` over memspace, for `graph.compile({ store })`.
 * Needs `@langchain/langgraph` (or `@langchain/langgraph-checkpoint` and `@langchain/core`).
 */
export { MemspaceStore } from './memspace-store.js';
export type {
  MemspaceStoreClientOptions,
  MemspaceStoreCommonOptions,
  MemspaceStoreEngineOptions,
  MemspaceStoreIndex,
  MemspaceStoreOptions,
  SpaceDefaults,
  StoreEmbeddings,
} from './memspace-store.js';
export type { NamespaceMapping } from './namespace.js';
export { ITEM_KIND } from './stored-item.js';
export { MemspaceError, isMemspaceError } from '../../core/errors.js';
export type { ErrorCode } from '../../core/errors.js';
export type { Principal } from '../../engine/access-guard.js';
