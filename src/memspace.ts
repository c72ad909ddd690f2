import { loadConfig, masterKeyOf, type Config } from './config.js';
import { MemspaceError } from './core/errors.js';
import type { ChatModel } from './core/ports/chat-model.js';
import type { EmbedderProvider } from './core/ports/embedder.js';
import type { Reranker } from './core/ports/reranker.js';
import { AccessGuard } from './engine/access-guard.js';
import { ChangeFeed } from './engine/change-stream.js';
import { FederationService } from './engine/federation-service.js';
import { KeyService } from './engine/key-service.js';
import { MemoryService } from './engine/memory-service.js';
import { RerankStage } from './engine/rerank-stage.js';
import { FeedbackService } from './engine/feedback-service.js';
import { SearchService } from './engine/search-service.js';
import { RouteService } from './engine/route-service.js';
import { SpaceEmbeddings } from './engine/space-embeddings.js';
import { SpaceGate } from './engine/space-gate.js';
import { SpaceService } from './engine/space-service.js';
import { ProjectService } from './engine/project-service.js';
import { RetentionSweeper } from './engine/retention-sweeper.js';
import { HealthService } from './engine/space-health.js';
import { SpaceLifecycle } from './engine/space-lifecycle.js';
import { ConsolidationScheduler } from './engine/consolidation-scheduler.js';
import { ConsolidationService } from './engine/consolidation-service.js';
import { ShareService } from './engine/share-service.js';
import { SpaceRegistry } from './engine/space-registry.js';
import { RegistryReporter } from './engine/registry-report.js';
import { SpaceTransfer } from './engine/space-transfer.js';
import { SpaceSplitService } from './engine/space-split.js';
import { DefaultEmbedderProvider } from './embed/embedder-provider.js';
import { HttpReranker } from './embed/http-reranker.js';
import { OpenAIChatModel } from './embed/openai-chat-model.js';
import type { Backend } from './core/ports/backend.js';
import { SqliteBackend } from './store/sqlite/sqlite-backend.js';
import { rotateMasterKeyOf } from './store/sqlite/space-keys.js';
import type { Tracer } from './core/ports/tracer.js';
import { GUARD_SPANS, tracedBackend, tracedServices } from './telemetry/engine-spans.js';
import { traced } from './telemetry/traced.js';
import { tracerOf } from './telemetry/tracing-config.js';

/**
 * An open memspace: the engine over a data directory (or a PostgreSQL database), with its
 * embedders. Every service takes a {@link CallContext} naming the caller; in-process callers
 * that give none act as the holder of the data directory.
 */
export interface Memspace {
  readonly config: Config;
  /** The one access check: every front-end and service asks it before touching a space. */
  readonly guard: AccessGuard;
  /** Spaces themselves, and their audit trails. */
  readonly spaces: SpaceService;
  /** Projects: named groups of spaces, their defaults, quotas and totals. */
  readonly projects: ProjectService;
  /** Memories, their history and relations, and contexts. */
  readonly memories: MemoryService;
  /** Search in one space or across spaces. */
  readonly search: SearchService;
  /** Feedback that shapes ranking per space, and the rerank of a caller's documents with it. */
  readonly feedback: FeedbackService;
  /** Export and import of whole spaces. */
  readonly transfer: SpaceTransfer;
  /** Splits of a space by tag or metadata and merges of spaces, resumable, run as jobs (docs/split-merge.md). */
  readonly splits: SpaceSplitService;
  /** API keys, kept in the catalogue. */
  readonly keys: KeyService;
  /** Shares of spaces with other spaces' readers or keys. */
  readonly shares: ShareService;
  /** Federations: differentially private insights across opted-in spaces. */
  readonly federations: FederationService;
  /** The change streams of spaces. */
  readonly changes: ChangeFeed;
  /** Health figures of the process and of each space. */
  readonly health: HealthService;
  /** What operators read of the process: the open-space registry (docs/console.md). */
  readonly operators: RegistryReporter;
  /** Routing suggestions: which visible space a text fits best (docs/routing.md). */
  readonly route: RouteService;
  /** Hard-deletes expired memories and those past their space's retention. */
  readonly sweeper: RetentionSweeper;
  /** Archive and restore of spaces, and closing idle ones. */
  readonly lifecycle: SpaceLifecycle;
  /** Consolidation passes (duplicates merged, facts superseded) and their undo. */
  readonly consolidation: ConsolidationService;
  /** Runs the passes of spaces whose consolidation is `enabled`; the server starts it. */
  readonly consolidationSchedule: ConsolidationScheduler;
  /**
   * The configured chat model (`MEMSPACE_LLM_BASE_URL`), if any: consolidation asks it about
   * supersession and summaries, the mem0-compatible API infers facts with it.
   */
  readonly chat: ChatModel | undefined;
  /** The configured reranker (`MEMSPACE_RERANK_BASE_URL`), if any: searches asking `rerank: true` use it. */
  readonly reranker: Reranker | undefined;
  /** Where spans go (docs/tracing.md): OpenTelemetry when the `OTEL_*` settings turn it on, else a tracer that does nothing. */
  readonly tracer: Tracer;
  /** Writes the refusals counted so far to their audit trails, then closes every space, the catalogue, the embedders, the chat model and the reranker. */
  close(): Promise<void>;
}

/**
 * The engine with its parts exposed: what tests and benchmarks reach into (the registry, the
 * backend). Front-ends get a {@link Memspace}, which holds no way around the services.
 */
export interface MemspaceEngine extends Memspace {
  readonly registry: SpaceRegistry;
  readonly backend: Backend;
}

/** Options of {@link openMemspace} beyond the configuration. */
export interface OpenMemspaceOptions {
  /** Embedders to use instead of the default ones (local model, OpenAI-compatible). */
  embedders?: EmbedderProvider & { close?(): Promise<void> };
  /** Chat model to use instead of the configured one (closed with the memspace). */
  chat?: ChatModel;
  /** Reranker to use instead of the configured one (closed with the memspace). */
  reranker?: Reranker;
  /** Clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Tracer to use instead of the configured one (tests); flushed, not shut down, on close. @default from the `OTEL_*` settings */
  tracer?: Tracer;
}

/**
 * Opens memspace on the configured backend. Creates the `default` space if missing; opens no
 * space and loads no model until one is used.
 */
export async function openMemspace(config: Config = loadConfig(), options: OpenMemspaceOptions = {}): Promise<Memspace> {
  return openEngine(config, options);
}

/** {@link openMemspace} with the engine's parts exposed, for tests and benchmarks. */
export async function openEngine(config: Config = loadConfig(), options: OpenMemspaceOptions = {}): Promise<MemspaceEngine> {
  const { tracer, backend } = await tracedBackendOf(config, options.tracer);
  const now = options.now ?? Date.now;
  // A space is swept as it opens, so whatever expired while it was closed is gone before anyone reads it.
  const registry: SpaceRegistry = new SpaceRegistry(backend, {
    maxOpenSpaces: config.maxOpenSpaces,
    pinned: config.pinnedSpaces,
    idleTimeoutMs: config.idleTimeoutMs,
    autoRestore: config.autoRestore,
    now,
    onOpen: (handle) => sweeper.sweepOnOpen(handle),
  });
  const guard = traced(tracer, new AccessGuard(registry, { intervalMs: config.denialAuditIntervalMs, now }), 'guard', GUARD_SPANS);
  const gate = new SpaceGate(registry, guard, now);
  const sweeper = new RetentionSweeper(registry, guard, now, { days: config.feedRetentionDays, minEvents: config.feedMinEvents });
  const embedders = options.embedders ?? embeddersOf(config);
  const embeddings = new SpaceEmbeddings(embedders);
  const spaces = new SpaceService(gate, backend.spaces, embeddings, backend.projects, {
    onRetentionShortened: (space) => sweeper.sweepSpace(space),
    onIsolationChanged: (space, isolation) => federations.onIsolationChanged(space, isolation),
    onDeleted: (space) => federations.onSpaceDeleted(space).finally(() => health.sampler.forget(space)),
  });
  const health = new HealthService(gate, { list: (query, call) => spaces.list(query, call) });
  health.sampler.start(config.healthSampleMs);
  const federations = new FederationService(backend.federations, backend.spaces, gate);
  const memories = new MemoryService(gate, embeddings);
  const shares = new ShareService(backend.shares, backend.spaces, gate);
  const keys = new KeyService(backend.keys, { gate, list: (query, call) => spaces.list(query, call) }, now);
  const chat = options.chat ?? chatModelOf(config);
  const reranker = options.reranker ?? rerankerOf(config);
  const consolidation = new ConsolidationService(gate, { chat, embeddings });
  const consolidationSchedule = new ConsolidationScheduler(
    registry,
    { run: (space) => consolidation.run(space, {}, { actor: 'scheduler' }), lastPassAt: (space) => consolidation.lastPassAt(space) },
    now,
  );
  await spaces.ensureDefault();
  return tracedServices(tracer, {
    config,
    registry,
    backend,
    guard,
    spaces,
    memories,
    search: new SearchService(gate, embeddings, shares, new RerankStage(reranker, config.rerankTopN)),
    feedback: new FeedbackService(gate, embeddings),
    transfer: new SpaceTransfer(gate, embeddings, spaces, memories),
    splits: new SpaceSplitService(gate, embeddings, spaces),
    keys,
    shares,
    projects: new ProjectService(gate, backend.projects, spaces),
    federations,
    changes: new ChangeFeed(gate, backend.changeBell, keys),
    health,
    operators: new RegistryReporter(registry, guard),
    route: new RouteService(gate, backend.spaces, embeddings),
    sweeper,
    lifecycle: new SpaceLifecycle(gate, backend),
    consolidation,
    consolidationSchedule,
    chat,
    reranker,
    async close() {
      // First: a pass waiting for the model, or a search for the reranker, gets its answer (an error) now, not after a timeout.
      await chat?.close();
      await reranker?.close();
      await consolidationSchedule.stop();
      await sweeper.stop();
      await health.sampler.stop();
      await guard.close(); // the refusals counted so far reach their trails before the spaces close
      await registry.close();
      await backend.close();
      await embedders.close?.();
      await (options.tracer === undefined ? tracer.shutdown() : tracer.flush()); // last, so closing's spans go too; a given tracer is its giver's to stop
    },
    tracer,
  });
}

/**
 * The tracer (the one given, else as the `OTEL_*` settings say) and the configured backend with
 * its stores traced: spans wrap the stores and services here, at composition, so the engine
 * never names a tracer.
 */
async function tracedBackendOf(config: Config, given: Tracer | undefined): Promise<{ tracer: Tracer; backend: Backend }> {
  const tracer = given ?? (await tracerOf(config));
  return { tracer, backend: tracedBackend(tracer, await openBackend(config)) };
}

/** The configured embedders: the local model, and an OpenAI-compatible service when one is set. */
function embeddersOf(config: Config): DefaultEmbedderProvider {
  return new DefaultEmbedderProvider({
    local: config.embedPoolSize === undefined ? {} : { poolSize: config.embedPoolSize },
    ...(config.openaiBaseUrl !== undefined && { openai: { baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey } }),
  });
}

/** The OpenAI-compatible chat model the configuration names, if any. */
function chatModelOf(config: Config): ChatModel | undefined {
  if (config.llmBaseUrl === undefined) return undefined;
  return new OpenAIChatModel({ baseUrl: config.llmBaseUrl, model: config.llmModel, apiKey: config.llmApiKey, timeoutMs: config.llmTimeoutMs });
}

/** The reranker the configuration names, if any (the configuration requires its model). */
function rerankerOf(config: Config): Reranker | undefined {
  if (config.rerankBaseUrl === undefined) return undefined;
  return new HttpReranker({ baseUrl: config.rerankBaseUrl, model: config.rerankModel!, apiKey: config.rerankApiKey, timeoutMs: config.rerankTimeoutMs });
}

/** The configured backend: the embedded one, or PostgreSQL (loaded only when chosen, so `pg` is never loaded otherwise). */
async function openBackend(config: Config): Promise<Backend> {
  if (config.backend === 'postgres') {
    const { PostgresBackend } = await import('./store/postgres/postgres-backend.js');
    return PostgresBackend.connect({ url: config.pgUrl!, poolSize: config.pgPoolSize, annThreshold: config.annThreshold });
  }
  return new SqliteBackend({
    dataDir: config.dataDir,
    sync: config.sync,
    annThreshold: config.annThreshold,
    searchThreads: config.workers ?? 1,
    masterKey: masterKeyOf(config),
  });
}

/**
 * Rewraps the key of every encrypted space from the configured master key to `newMasterKey`
 * (64 hex digits or base64 of 32 bytes) in one catalogue transaction, touching no space's data
 * (`memspace keys rotate-master`). Embedded backend only; refused (`CONFLICT`) while another
 * process, such as a running server, has the data directory open.
 */
export async function rotateMasterKey(config: Config, newMasterKey: string): Promise<{ rewrapped: number }> {
  if (config.backend === 'postgres') throw new MemspaceError('VALIDATION_FAILED', 'the PostgreSQL backend has no master key: per-space encryption is offered by the embedded backend only', { backend: 'postgres' });
  const current = masterKeyOf(config);
  if (current === undefined) throw new MemspaceError('VALIDATION_FAILED', 'rotating needs the current master key: set MEMSPACE_MASTER_KEY or MEMSPACE_MASTER_KEY_FILE', { variable: 'MEMSPACE_MASTER_KEY' });
  const next = masterKeyOf(loadConfig({ masterKey: newMasterKey }, {}));
  if (next === undefined) throw new MemspaceError('VALIDATION_FAILED', 'no new master key was given');
  if (next.equals(current)) throw new MemspaceError('VALIDATION_FAILED', 'the new master key is the current one');
  return rotateMasterKeyOf(config.dataDir, current, next);
}
