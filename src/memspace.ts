import { loadConfig, type Config } from './config.js';
import type { EmbedderProvider } from './core/ports/embedder.js';
import { KeyService } from './engine/key-service.js';
import { MemoryService } from './engine/memory-service.js';
import { ShareService } from './engine/share-service.js';
import { SpaceRegistry } from './engine/space-registry.js';
import { SpaceTransfer } from './engine/space-transfer.js';
import { DefaultEmbedderProvider } from './embed/embedder-provider.js';
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
  const backend = new SqliteBackend({
    dataDir: config.dataDir,
    sync: config.sync,
    annThreshold: config.annThreshold === 0 ? Number.POSITIVE_INFINITY : config.annThreshold,
  });
  const registry = new SpaceRegistry(backend, { maxOpenSpaces: config.maxOpenSpaces });
  const embedders =
    options.embedders ??
    new DefaultEmbedderProvider({
      local: config.embedPoolSize === undefined ? {} : { poolSize: config.embedPoolSize },
      ...(config.openaiBaseUrl !== undefined && { openai: { baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey } }),
    });
  const now = options.now ?? Date.now;
  const service = new MemoryService({ registry, embedders, now });
  await service.ensureDefaultSpace();
  return {
    config,
    service,
    registry,
    transfer: new SpaceTransfer(registry, service, now),
    keys: new KeyService(backend, now),
    shares: new ShareService(backend, service, now),
    async close() {
      await service.close();
      await backend.close();
      await embedders.close?.();
    },
  };
}
