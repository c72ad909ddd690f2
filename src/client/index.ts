/**
 * `memspace/client`: a typed client of the memspace HTTP API. It depends on `zod` and the core
 * types only, never on the engine, stores or server, and runs wherever `fetch` does.
 */
export { MemspaceClient } from './client.js';
export type * from './types.js';
export { MemspaceError, ERROR_CODES, isMemspaceError } from '../core/errors.js';
export type { ErrorCode, ErrorBody } from '../core/errors.js';
export type { Grant, Role } from '../core/grants.js';
export type { AuditVerification, ChangeOp, JsonObject, JsonValue } from '../core/types.js';
export type { AuditEntry, HistoryEntry, Memory, Project, ProjectInfo, Relation, SearchHit, Space, SpaceInfo } from '../core/views.js';
export type { HealthHistory, HealthSample, SpaceHealthRow } from '../core/health-views.js';
export type { RegistryReport } from '../core/response-schemas.js';
export type { OperationsClient } from './operations-client.js';
