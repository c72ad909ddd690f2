import { Option, type Command } from 'commander';
import { loadConfig } from '../../config.js';
import { serve } from '../../server/serve.js';
import type { CliContext } from '../cli-context.js';
import { toInt, toNumber } from '../options.js';

interface ServeOptions {
  host?: string;
  port?: number;
  grpcPort?: number;
  auth: boolean;
  backend?: 'sqlite' | 'postgres';
  pgUrl?: string;
  llmBaseUrl?: string;
  llmModel?: string;
  workers?: number;
  mcpIdleTimeoutMs?: number;
  mcpSessionsPerKey?: number;
  mcpAllowedOrigins?: string;
  denialAuditIntervalMs?: number;
  feedRetentionDays?: number;
  feedMinEvents?: number;
  logFormat?: 'human' | 'json';
}

/** Registers `serve`: the HTTP and gRPC APIs, until SIGTERM or SIGINT. */
export function registerServe(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  ctx
    .command(program, 'serve', 'run the HTTP and gRPC APIs until SIGTERM or SIGINT (then finish requests in flight and close every space)')
    .option('--host <host>', 'address to listen on (default: $MEMSPACE_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default: $MEMSPACE_PORT or 7420)', toInt)
    .option('--grpc-port <port>', 'port of the gRPC API on the same host; 0 for none (default: $MEMSPACE_GRPC_PORT or 7421)', toInt)
    .option('--no-auth', 'accept requests without API keys (loopback addresses only)')
    .addOption(new Option('--backend <backend>', 'where memories live (default: $MEMSPACE_BACKEND or sqlite)').choices(['sqlite', 'postgres']))
    .option('--pg-url <url>', 'PostgreSQL URL with pgvector, for --backend postgres (default: $MEMSPACE_PG_URL)')
    .option('--llm-base-url <url>', 'OpenAI-compatible chat endpoint for mem0-style fact extraction (default: $MEMSPACE_LLM_BASE_URL; key in $MEMSPACE_LLM_API_KEY)')
    .option('--llm-model <model>', 'chat model for fact extraction (default: $MEMSPACE_LLM_MODEL or gpt-4o-mini)')
    .option('--workers <n>', 'threads that run searches beside the one serving HTTP and writing; 1 searches on that one (default: $MEMSPACE_WORKERS or the number of CPUs)', toInt)
    .option('--mcp-idle-timeout-ms <ms>', 'an MCP session without a request for this long ends (default: $MEMSPACE_MCP_IDLE_TIMEOUT_MS or 1800000)', toInt)
    .option('--mcp-sessions-per-key <n>', 'most MCP sessions one API key holds open at once (default: $MEMSPACE_MCP_SESSIONS_PER_KEY or 16)', toInt)
    .option('--mcp-allowed-origins <origins>', "comma-separated web origins whose pages may use /mcp besides this machine's own; * for any (default: $MEMSPACE_MCP_ALLOWED_ORIGINS)")
    .option('--denial-audit-interval-ms <ms>', 'refused requests are written to the audit as one counted entry per key, space and request per this interval (default: $MEMSPACE_DENIAL_AUDIT_INTERVAL_MS or 60000)', toInt)
    .option('--feed-retention-days <days>', "change-feed events younger than this are kept when sweeps compact a space's feed (default: $MEMSPACE_FEED_RETENTION_DAYS or 7)", toNumber)
    .option('--feed-min-events <n>', "the newest events a space's change feed keeps however old (default: $MEMSPACE_FEED_MIN_EVENTS or 1000)", toInt)
    .addOption(new Option('--log-format <format>', 'logs on stdout as lines for people or one JSON object per line (default: $MEMSPACE_LOG_FORMAT, else human on a terminal and json otherwise)').choices(['human', 'json']))
    .action(async (o: ServeOptions) => {
      const { host, port, grpcPort, backend, pgUrl, llmBaseUrl, llmModel, workers, mcpIdleTimeoutMs, mcpSessionsPerKey, mcpAllowedOrigins, denialAuditIntervalMs, feedRetentionDays, feedMinEvents, logFormat } = o;
      // loadConfig drops undefined overrides. --no-auth can only turn authentication off:
      // without it, MEMSPACE_AUTH decides, so auth is not passed as true.
      const config = loadConfig(
        { dataDir: ctx.globals().dataDir, host, port, grpcPort, backend, pgUrl, llmBaseUrl, llmModel, workers, mcpIdleTimeoutMs, mcpSessionsPerKey, mcpAllowedOrigins, denialAuditIntervalMs, feedRetentionDays, feedMinEvents, logFormat, auth: o.auth ? undefined : false },
        io.env,
      );
      const server = await serve(
        config,
        (key, given) => io.stderr.write(given ? 'root key created from MEMSPACE_ROOT_KEY\n' : `root key, shown this once (store it now): ${key}\n`),
        () => io.stderr.write(keysExistLine(config.rootKey !== undefined)),
      );
      // Handlers first: a supervisor may signal as soon as it reads the line below, and without a
      // handler SIGTERM kills the process at once, skipping the graceful close.
      const stopped = untilSignalled(() => server.close());
      const grpc = server.grpcAddress === undefined ? '' : `, gRPC on ${server.grpcAddress}`;
      io.stderr.write(`memspace listening on ${server.url} (API docs: ${server.url}/docs, console: ${server.url}/console)${grpc}\n`);
      io.stderr.write(`memspace: stopped (${await stopped})\n`);
    });
}

/**
 * The one line a start over keys made before prints: the root key was shown on the first start
 * only, so it says how to make another (and that `MEMSPACE_ROOT_KEY` no longer applies).
 */
function keysExistLine(rootKeyGiven: boolean): string {
  const ignored = rootKeyGiven ? '; MEMSPACE_ROOT_KEY is ignored' : '';
  return `memspace: API keys exist already (the root key was shown on the first start only${ignored}); make another admin key with: memspace keys create NAME --grant '*:admin'\n`;
}

/** Resolves with the signal's name once SIGTERM or SIGINT has arrived and `close` has settled, whether or not it failed. */
function untilSignalled(close: () => Promise<void>): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void close().then(
        () => resolve(signal),
        () => resolve(signal),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
