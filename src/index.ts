/** The memspace library: open the engine on a data directory and use it in-process. */
export { loadConfig, ConfigSchema } from './config.js';
export type { Config } from './config.js';
export { openMemspace } from './memspace.js';
export type { Memspace, OpenMemspaceOptions } from './memspace.js';
export { MemoryService } from './engine/memory-service.js';
export type { CallContext, PageOf } from './engine/memory-service.js';
export { SpaceTransfer } from './engine/space-transfer.js';
export type { ExportLine, ImportSummary } from './engine/space-transfer.js';
export { MemspaceError, ERROR_CODES, HTTP_STATUS, isMemspaceError } from './core/errors.js';
export type { ErrorCode, ErrorBody } from './core/errors.js';
export { validateSpaceName, DEFAULT_SPACE } from './core/space-name.js';
export type { Embedder, EmbedderProvider } from './core/ports/embedder.js';
export type { AuditEntry, Memory, Relation, HistoryEntry, SearchHit, Space, SpaceInfo } from './core/views.js';
export type { AuditVerification } from './core/types.js';
