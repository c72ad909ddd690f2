import { loadConfig, type Config } from './config.js';
import type { EmbedderProvider } from './core/ports/embedder.js';
import { KeyService } from './engine/key-service.js';
import { MemoryService } from './engine/memory-service.js';
import { RetentionSweeper } from './engine/retention-sweeper.js';
import { HealthService } from './engine/space-health.js';
import { SpaceLifecycle } from './engine/space-lifecycle.js';
import { ShareService } from './engine/share-service.js';
import { SpaceRegistry } from './engine/space-registry.js';
import { SpaceTransfer } from './engine/space-transfer.js';
import { DefaultEmbedderProvider } from './embed/embedder-provider.js';
import type { Backend } from './core/ports/backend.js';
import { SqliteBackend } from './store/sqlite/sqlite-backend.js';

/** An open memspace: the engine over a data directory, with its embedders. */
export interface Memspace {
  readonly config: Config;
  readonly service: MemoryService;
  readonly registry: SpaceRegistry;
  readonly transfer: SpaceTransfer;
  /** API keys, kept in the catalogue. */
  readonly keys: KeyService;
  /** Shares of spaces and searches across spaces. */
  readonly shares: ShareService;
  /** Health figures of the process and of each space. */
  readonly health: HealthService;
  /** Hard-deletes expired memories and those past their space's retention. */
  readonly sweeper: RetentionSweeper;
  /** Archive and restore of spaces. */
  readonly lifecycle: SpaceLifecycle;
  /** Closes every space, the catalogue and the embedders. */
  close(): Promise<void>;
}

/** Options of {@link openMemspace} beyond the configuration. */
export interface OpenMemspaceOptions {
  /** Embedders to use instead of the default ones (local model, OpenAI-compatible). */
  embedders?: EmbedderProvider & { close?(): Promise<void> };
  /** Clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
}

/**
 * Opens memspace on the embedded backend. Creates the `default` space if missing; opens no
 * space and loads no model until one is used.
 */
export async function openMemspace(config: Config = loadConfig(), options: OpenMemspaceOptions = {}): Promise<Memspace> {
  const backend = await openBackend(config);
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
  const sweeper = new RetentionSweeper(registry, now);
  const embedders =
    options.embedders ??
    new DefaultEmbedderProvider({
      local: config.embedPoolSize === undefined ? {} : { poolSize: config.embedPoolSize },
      ...(config.openaiBaseUrl !== undefined && { openai: { baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey } }),
    });
  const service = new MemoryService({ registry, embedders, now, onRetentionChange: (space) => sweeper.sweepSpace(space) });
  await service.ensureDefaultSpace();
  return {
    config,
    service,
    registry,
    transfer: new SpaceTransfer(registry, service, now),
    keys: new KeyService(backend.keys, now),
    shares: new ShareService(backend.shares, backend.spaces, service, now),
    health: new HealthService(registry, now),
    sweeper,
    lifecycle: new SpaceLifecycle(registry, now),
    async close() {
      await sweeper.stop();
      await service.close();
      await backend.close();
      await embedders.close?.();
    },
  };
}

/** The configured backend: the embedded one, or PostgreSQL (loaded only when chosen, so `pg` is never loaded otherwise). */
async function openBackend(config: Config): Promise<Backend> {
  if (config.backend === 'postgres') {
    const { PostgresBackend } = await import('./store/postgres/postgres-backend.js');
    return PostgresBackend.connect({ url: config.pgUrl!, poolSize: config.pgPoolSize, annThreshold: config.annThreshold });
  }
  return new SqliteBackend({ dataDir: config.dataDir, sync: config.sync, annThreshold: config.annThreshold });
}
