/** The memspace library: open the engine on a data directory and use it in-process. */
export { loadConfig, ConfigSchema } from './config.js';
export type { Config } from './config.js';
export { openMemspace } from './memspace.js';
export type { Memspace, OpenMemspaceOptions } from './memspace.js';
export { AccessGuard, LOCAL_PRINCIPAL } from './engine/access-guard.js';
export type { CallContext, Principal } from './engine/access-guard.js';
export { SpaceService } from './engine/space-service.js';
export { MemoryService } from './engine/memory-service.js';
export { SearchService } from './engine/search-service.js';
export { KeyService } from './engine/key-service.js';
export { ShareService } from './engine/share-service.js';
export { ChangeFeed } from './engine/change-stream.js';
export type { ChangeStream } from './engine/change-stream.js';
export type { FeedRetention } from './core/feed-horizon.js';
export { SpaceTransfer } from './engine/space-transfer.js';
export { SpaceSplitService } from './engine/space-split.js';
export type { JobProgress, JobView, MergeReport, MoveGroup, SplitReport } from './core/space-moves-api.js';
export { RetentionSweeper } from './engine/retention-sweeper.js';
export type { SweepReport, SweeperStats } from './engine/retention-sweeper.js';
export { HealthService } from './engine/space-health.js';
export { SpaceLifecycle } from './engine/space-lifecycle.js';
export { runEvaluation, SWEEP_WEIGHTS } from './eval/run-eval.js';
export type { EvaluationOptions, EvaluationResult, EvaluationRow, Fusion, SearchMode } from './eval/run-eval.js';
export { parseEvalSet, readEvalSet } from './eval/eval-set.js';
export type { EvalMemory, EvalQuery, EvalSet } from './eval/eval-set.js';
export type { MetricSummary } from './eval/metrics.js';
export { MemspaceError, ERROR_CODES, HTTP_STATUS, isMemspaceError } from './core/errors.js';
export type { ErrorCode, ErrorBody } from './core/errors.js';
export { validateSpaceName, DEFAULT_SPACE } from './core/space-name.js';
export type { Embedder, EmbedderProvider } from './core/ports/embedder.js';
export type { Reranker } from './core/ports/reranker.js';
export type {
  ArchiveResult,
  AuditEntry,
  ChangeEvent,
  Context,
  CreatedKey,
  CrossSearchHit,
  ExportLine,
  HistoryEntry,
  ImportCounts,
  ImportSummary,
  Memory,
  Page,
  Relation,
  SearchHit,
  ServiceHealth,
  Space,
  SpaceHealth,
  SpaceInfo,
} from './core/views.js';
export type { AuditVerification } from './core/types.js';
