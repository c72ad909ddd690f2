import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_FEED_RETENTION } from './core/feed-horizon.js';
import { webOrigin } from './core/origins.js';
import { DEFAULT_RERANK_TOP_N, MAX_LIMIT } from './core/schemas.js';
import { parseWith } from './core/validate.js';
import { DEFAULT_ANN_THRESHOLD } from './core/vector-search.js';

const positiveInt = z.coerce.number().int().positive();

/** A list given as one comma-separated string (an environment variable), its items trimmed, empty ones dropped. */
const commaList = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''));

/** `*`, or a web origin, kept as browsers send it (`https://app.example.com`: no path, no default port). */
const allowedOrigin = z.string().transform((value, ctx) => {
  const origin = value === '*' ? value : webOrigin(value);
  if (origin !== undefined) return origin;
  ctx.addIssue({ code: 'custom', message: `not a web origin (http[s]://host[:port]) nor *: ${value}` });
  return z.NEVER;
});

/**
 * A master key as given: 64 hex digits or the base64 of 32 bytes, surrounding white space
 * ignored; kept as 64 lowercase hex digits. The value is never echoed in an error.
 */
const masterKeyText = z.string().transform((value, ctx) => {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length === 32) return bytes.toString('hex');
  }
  ctx.addIssue({ code: 'custom', message: 'a master key is 64 hex digits or the base64 of 32 bytes (e.g. `openssl rand -hex 32`)' });
  return z.NEVER;
});

/**
 * A file holding a master key, read at start. It must be readable by its owner only (mode
 * 0600 or 0400), as SSH requires of private keys: a key others can read protects nothing.
 */
const masterKeyFile = z.string().min(1).transform((path, ctx) => {
  let text: string;
  try {
    const mode = statSync(path).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      ctx.addIssue({ code: 'custom', message: `${path} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it` });
      return z.NEVER;
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    return z.NEVER;
  }
  const parsed = masterKeyText.safeParse(text);
  if (parsed.success) return parsed.data;
  ctx.addIssue({ code: 'custom', message: `${path} does not hold a master key (64 hex digits or the base64 of 32 bytes)` });
  return z.NEVER;
});

/** Configuration of a memspace process; the only reader of `process.env`. */
export const ConfigSchema = z.object({
  /** Address the server listens on; loopback unless told otherwise. @default 127.0.0.1 */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port of the server. @default 7420 */
  port: z.coerce.number().int().min(0).max(65_535).default(7420),
  /** Port of the gRPC API, on the same host; 0 serves no gRPC. @default 7421 */
  grpcPort: z.coerce.number().int().min(0).max(65_535).default(7421),
  /** Require API keys on the HTTP API; turning it off is allowed on loopback addresses only. @default true */
  auth: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  /** The root key created on first start, for automation; generated (and printed once) when unset. */
  rootKey: z.string().min(1).optional(),
  /** Requests per second per API key; 0 for no limit. @default 0 */
  keyRateLimit: z.coerce.number().min(0).default(0),
  /** An MCP session over HTTP without a request for this long is closed; its id then answers 404. @default 1800000 (30 min) */
  mcpIdleTimeoutMs: positiveInt.default(1_800_000),
  /** Most MCP sessions over HTTP one API key holds open at once; past it, `initialize` is `QUOTA_EXCEEDED`. @default 16 */
  mcpSessionsPerKey: positiveInt.default(16),
  /**
   * Web origins whose pages may use `/mcp` besides this machine's own (comma-separated; `*` for
   * any); requests without an `Origin` header, which programs do not send, always may. @default none
   */
  mcpAllowedOrigins: z.union([z.array(z.string()), commaList]).pipe(z.array(allowedOrigin)).default([]),
  /** Where memories live: `sqlite` (embedded, one directory per space) or `postgres` (`pgUrl`). @default sqlite */
  backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
  /** PostgreSQL connection URL (with pgvector), for `backend: postgres`. */
  pgUrl: z.string().min(1).optional(),
  /** Connections in the PostgreSQL pool. @default 10 */
  pgPoolSize: positiveInt.default(10),
  /** Directory of the embedded backend. @default ./memspace-data */
  dataDir: z.string().min(1).default('./memspace-data'),
  /**
   * The master key that wraps the keys of encrypted spaces (docs/encryption.md), as 64
   * lowercase hex digits; given as hex or base64. Needed to create or open encrypted spaces;
   * with encrypted spaces in the data directory, the embedded backend refuses to start without it.
   */
  masterKey: masterKeyText.optional(),
  /** A file holding the master key (mode 0600), instead of `masterKey`; read at start into `masterKey`'s form. */
  masterKeyFile: masterKeyFile.optional(),
  /** The new master key of `memspace keys rotate-master` (instead of `--new-key-file`). */
  newMasterKey: masterKeyText.optional(),
  /** `full` fsyncs every acknowledged write; `normal` survives kill -9 but not power loss. @default full */
  sync: z.enum(['full', 'normal']).default('full'),
  /** Spaces with at least this many memories search through their HNSW index; 0 turns the index off. @default {@link DEFAULT_ANN_THRESHOLD} (10000) */
  annThreshold: z.coerce.number().int().min(0).default(DEFAULT_ANN_THRESHOLD),
  /**
   * Most spaces open at once; the least recently used is closed past it. Each open space holds
   * about 3 file descriptors, so keep it well under `ulimit -n`. @default 256
   */
  maxOpenSpaces: positiveInt.default(256),
  /** Spaces never closed for room or idleness (comma-separated); `default` always is. @default none */
  pinnedSpaces: z.union([z.array(z.string()), commaList]).default([]),
  /** An open space unused for this long is closed; 0 keeps spaces open until evicted. @default 300000 (5 min) */
  idleTimeoutMs: z.coerce.number().int().min(0).default(300_000),
  /** A request to an archived space restores it first, instead of `SPACE_ARCHIVED`. @default false */
  autoRestore: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  /** How often the server sweeps expired memories out of open spaces; 0 turns background sweeps off. @default 60000 */
  sweepIntervalMs: z.coerce.number().int().min(0).default(60_000),
  /** How often the process samples its open spaces' figures for their last hour of health history (the console's sparklines); 0: never. @default 60000 */
  healthSampleMs: z.coerce.number().int().min(0).default(60_000),
  /** How often the server looks for spaces whose scheduled consolidation pass is due; 0: never. */
  consolidationTickMs: z.coerce.number().int().min(0).default(60_000),
  /**
   * Sweeps compact each space's change feed, keeping every event younger than this many days
   * (fractions allowed) and, however old, the newest `feedMinEvents`. @default 7
   */
  feedRetentionDays: z.coerce.number().min(0).default(DEFAULT_FEED_RETENTION.days),
  /** The newest events each change feed keeps however old they are (see `feedRetentionDays`). @default 1000 */
  feedMinEvents: z.coerce.number().int().min(0).default(DEFAULT_FEED_RETENTION.minEvents),
  /**
   * Refused requests are counted in memory and written as one `request.denied` audit entry per
   * key, space and kind of request per this interval, with the count. @default 60000 (1 min)
   */
  denialAuditIntervalMs: positiveInt.default(60_000),
  /** Count HTTP requests per space in `/metrics` (`memspace_space_requests_total{space}`). @default false */
  metricsPerSpace: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  /** Most spaces with a series of their own in `/metrics`; requests of further spaces count as `_other`. @default 100 */
  metricsSpaceCap: z.coerce.number().int().min(0).default(100),
  /**
   * How `memspace serve` writes its logs on standard output: `human` lines, `json` (one object
   * per line, for collectors), or `auto`: human on a terminal, JSON otherwise. @default auto
   */
  logFormat: z.enum(['auto', 'human', 'json']).default('auto'),
  /**
   * Threads that run searches on the embedded backend (search-threads.ts), beside the main
   * thread that serves HTTP and writes; 1 searches on the main thread. @default 1 in the library,
   * the number of CPUs for `memspace serve`
   */
  workers: positiveInt.optional(),
  /** Worker threads of the local embedding model. @default number of CPUs */
  embedPoolSize: positiveInt.optional(),
  /** Base URL of an OpenAI-compatible embeddings endpoint, for spaces with embedder `openai:<model>`. */
  openaiBaseUrl: z.url().optional(),
  /** Key for that endpoint. */
  openaiApiKey: z.string().min(1).optional(),
  /** The space `memspace mcp` serves when `--space` is not given; `default` when unset. */
  space: z.string().min(1).optional(),
  /**
   * `host:port` of a memspace gRPC server that the command line's `spaces list`, `add`, `search`
   * and `events` talk to instead of the data directory (`--grpc`); other commands refuse to run
   * while it is set.
   */
  grpc: z.string().min(1).optional(),
  /** API key the command line sends to that server (`--key`). */
  key: z.string().min(1).optional(),
  /**
   * Base URL of a memspace HTTP server that the command line talks to instead of the data
   * directory (`--url`, docs/cli.md); commands with no API behind them refuse to run with it.
   */
  url: z.url().optional(),
  /**
   * The command line's own settings file (`memspace use`): the current space and server.
   * @default $XDG_CONFIG_HOME/memspace/cli.json, else ~/.config/memspace/cli.json
   */
  cliConfig: z.string().min(1).optional(),
  /**
   * Base URL of an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM). When set,
   * the mem0-compatible API extracts facts from added messages (`infer: true`), and consolidation
   * passes ask it about supersession and write session summaries (docs/consolidation.md); when
   * unset, mem0 stores the messages as they are and says so, and consolidation uses its rules only.
   */
  llmBaseUrl: z.url().optional(),
  /** Key for the chat endpoint, sent as `Authorization: Bearer`. */
  llmApiKey: z.string().min(1).optional(),
  /** Chat model that extracts facts, decides memory updates and supersessions, and writes summaries. @default gpt-4o-mini */
  llmModel: z.string().min(1).default('gpt-4o-mini'),
  /** Limit of one chat call, in milliseconds. @default 60000 */
  llmTimeoutMs: positiveInt.default(60_000),
  /**
   * Root of a reranking endpoint, `POST <root>/rerank` as Cohere, Jina and vLLM serve it (e.g.
   * `https://api.jina.ai/v1`). When set, a search may ask `rerank: true` (docs/search.md); when
   * unset, such a search is `VALIDATION_FAILED`.
   */
  rerankBaseUrl: z.url().optional(),
  /** Key for the rerank endpoint, sent as `Authorization: Bearer`. */
  rerankApiKey: z.string().min(1).optional(),
  /** Reranking model; required with `rerankBaseUrl`, as every hosted reranker needs one named. */
  rerankModel: z.string().min(1).optional(),
  /** Candidates of the first stage a reranked search sends, at least (a higher `limit` sends that many). @default 50 */
  rerankTopN: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_RERANK_TOP_N),
  /** Limit of one rerank call, in milliseconds; a reranked search waits this long at most for it. @default 10000 */
  rerankTimeoutMs: positiveInt.default(10_000),
  /**
   * `OTEL_SDK_DISABLED`: `true` turns tracing off whatever else is set (docs/tracing.md); any
   * other value, as the OpenTelemetry specification says, leaves it as the other settings decide. @default false
   */
  otelSdkDisabled: z.union([z.boolean(), z.string().transform((v) => v.trim().toLowerCase() === 'true')]).default(false),
  /**
   * `OTEL_TRACES_EXPORTER`: where spans go, comma-separated: `otlp` (OTLP over HTTP), `console`
   * (standard output) or `none`. Unset, tracing is on only when an OTLP endpoint is set. @default none
   */
  otelTracesExporter: z.union([z.array(z.string()), commaList]).pipe(z.array(z.enum(['otlp', 'console', 'none']))).optional(),
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL; spans are sent to `<it>/v1/traces`. @default http://localhost:4318 */
  otelExporterOtlpEndpoint: z.url().optional(),
  /** `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: the full URL spans are sent to, instead of the base one's `/v1/traces`. */
  otelExporterOtlpTracesEndpoint: z.url().optional(),
  /** `OTEL_EXPORTER_OTLP_HEADERS`: headers of every export, `name=value` pairs, comma-separated, values percent-encoded. */
  otelExporterOtlpHeaders: z.string().optional(),
  /** `OTEL_EXPORTER_OTLP_TRACES_HEADERS`: further headers of span exports, over those of `OTEL_EXPORTER_OTLP_HEADERS`. */
  otelExporterOtlpTracesHeaders: z.string().optional(),
  /** `OTEL_EXPORTER_OTLP_TIMEOUT`: longest time one export may take, retries included, in milliseconds. @default 10000 */
  otelExporterOtlpTimeout: positiveInt.default(10_000),
  /** `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`: the same for span exports, over `OTEL_EXPORTER_OTLP_TIMEOUT`. */
  otelExporterOtlpTracesTimeout: positiveInt.optional(),
  /** `OTEL_SERVICE_NAME`: the `service.name` of every span's resource. @default memspace */
  otelServiceName: z.string().min(1).default('memspace'),
  /** `OTEL_TRACES_SAMPLER`: which traces are recorded. @default parentbased_always_on */
  otelTracesSampler: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on'),
  /** `OTEL_TRACES_SAMPLER_ARG`: the share of traces the `traceidratio` samplers record, 0 to 1. @default 1 */
  otelTracesSamplerArg: z.coerce.number().min(0).max(1).default(1),
}).refine((c) => c.backend !== 'postgres' || c.pgUrl !== undefined, { path: ['pgUrl'], message: 'the postgres backend needs pgUrl (MEMSPACE_PG_URL or --pg-url)' })
  .refine((c) => c.rerankBaseUrl === undefined || c.rerankModel !== undefined, { path: ['rerankModel'], message: 'a rerank endpoint needs a model: set MEMSPACE_RERANK_MODEL' })
  .refine((c) => c.masterKey === undefined || c.masterKeyFile === undefined, { path: ['masterKeyFile'], message: 'give the master key once: MEMSPACE_MASTER_KEY or MEMSPACE_MASTER_KEY_FILE, not both' });

/** Parsed, frozen configuration. */
export type Config = Readonly<z.output<typeof ConfigSchema>>;

const ENV: Readonly<Record<string, keyof z.input<typeof ConfigSchema>>> = {
  MEMSPACE_HOST: 'host',
  MEMSPACE_AUTH: 'auth',
  MEMSPACE_ROOT_KEY: 'rootKey',
  MEMSPACE_KEY_RATE_LIMIT: 'keyRateLimit',
  MEMSPACE_MCP_IDLE_TIMEOUT_MS: 'mcpIdleTimeoutMs',
  MEMSPACE_MCP_SESSIONS_PER_KEY: 'mcpSessionsPerKey',
  MEMSPACE_MCP_ALLOWED_ORIGINS: 'mcpAllowedOrigins',
  MEMSPACE_PORT: 'port',
  MEMSPACE_GRPC_PORT: 'grpcPort',
  MEMSPACE_DATA_DIR: 'dataDir',
  MEMSPACE_BACKEND: 'backend',
  MEMSPACE_PG_URL: 'pgUrl',
  MEMSPACE_PG_POOL_SIZE: 'pgPoolSize',
  MEMSPACE_SYNC: 'sync',
  MEMSPACE_MASTER_KEY: 'masterKey',
  MEMSPACE_MASTER_KEY_FILE: 'masterKeyFile',
  MEMSPACE_NEW_MASTER_KEY: 'newMasterKey',
  MEMSPACE_MAX_OPEN_SPACES: 'maxOpenSpaces',
  MEMSPACE_PINNED_SPACES: 'pinnedSpaces',
  MEMSPACE_IDLE_TIMEOUT_MS: 'idleTimeoutMs',
  MEMSPACE_AUTO_RESTORE: 'autoRestore',
  MEMSPACE_SWEEP_INTERVAL_MS: 'sweepIntervalMs',
  MEMSPACE_CONSOLIDATION_TICK_MS: 'consolidationTickMs',
  MEMSPACE_HEALTH_SAMPLE_MS: 'healthSampleMs',
  MEMSPACE_FEED_RETENTION_DAYS: 'feedRetentionDays',
  MEMSPACE_FEED_MIN_EVENTS: 'feedMinEvents',
  MEMSPACE_DENIAL_AUDIT_INTERVAL_MS: 'denialAuditIntervalMs',
  MEMSPACE_ANN_THRESHOLD: 'annThreshold',
  MEMSPACE_METRICS_PER_SPACE: 'metricsPerSpace',
  MEMSPACE_METRICS_SPACE_CAP: 'metricsSpaceCap',
  MEMSPACE_LOG_FORMAT: 'logFormat',
  MEMSPACE_EMBED_POOL_SIZE: 'embedPoolSize',
  MEMSPACE_WORKERS: 'workers',
  MEMSPACE_OPENAI_BASE_URL: 'openaiBaseUrl',
  MEMSPACE_OPENAI_API_KEY: 'openaiApiKey',
  MEMSPACE_SPACE: 'space',
  MEMSPACE_GRPC: 'grpc',
  MEMSPACE_KEY: 'key',
  MEMSPACE_URL: 'url',
  MEMSPACE_CONFIG: 'cliConfig',
  MEMSPACE_LLM_BASE_URL: 'llmBaseUrl',
  MEMSPACE_LLM_API_KEY: 'llmApiKey',
  MEMSPACE_LLM_MODEL: 'llmModel',
  MEMSPACE_LLM_TIMEOUT_MS: 'llmTimeoutMs',
  MEMSPACE_RERANK_BASE_URL: 'rerankBaseUrl',
  MEMSPACE_RERANK_API_KEY: 'rerankApiKey',
  MEMSPACE_RERANK_MODEL: 'rerankModel',
  MEMSPACE_RERANK_TOP_N: 'rerankTopN',
  MEMSPACE_RERANK_TIMEOUT_MS: 'rerankTimeoutMs',
  OTEL_SDK_DISABLED: 'otelSdkDisabled',
  OTEL_TRACES_EXPORTER: 'otelTracesExporter',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'otelExporterOtlpEndpoint',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'otelExporterOtlpTracesEndpoint',
  OTEL_EXPORTER_OTLP_HEADERS: 'otelExporterOtlpHeaders',
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'otelExporterOtlpTracesHeaders',
  OTEL_EXPORTER_OTLP_TIMEOUT: 'otelExporterOtlpTimeout',
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: 'otelExporterOtlpTracesTimeout',
  OTEL_SERVICE_NAME: 'otelServiceName',
  OTEL_TRACES_SAMPLER: 'otelTracesSampler',
  OTEL_TRACES_SAMPLER_ARG: 'otelTracesSamplerArg',
};

/** The master key of `config` (from `masterKey` or `masterKeyFile`) as bytes; undefined when none was given. */
export function masterKeyOf(config: Config): Buffer | undefined {
  const hex = config.masterKey ?? config.masterKeyFile;
  return hex === undefined ? undefined : Buffer.from(hex, 'hex');
}

/**
 * Where the command line keeps its settings (`memspace use`): `cliConfig` when given, else
 * `cli.json` under `$XDG_CONFIG_HOME/memspace`, else under `~/.config/memspace` (the XDG base
 * directory rule); undefined when the environment names no home at all.
 */
export function cliConfigPath(config: Pick<Config, 'cliConfig'>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (config.cliConfig !== undefined) return config.cliConfig;
  const home = nonEmptyEnv(env['HOME']) ?? nonEmptyEnv(env['USERPROFILE']);
  const base = nonEmptyEnv(env['XDG_CONFIG_HOME']) ?? (home === undefined ? undefined : join(home, '.config'));
  return base === undefined ? undefined : join(base, 'memspace', 'cli.json');
}

function nonEmptyEnv(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Reads the configuration from the environment, then `overrides` (command-line flags) on top. */
export function loadConfig(overrides: Partial<z.input<typeof ConfigSchema>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return Object.freeze(parseWith(ConfigSchema, { ...fromEnv, ...defined }, 'configuration'));
}
