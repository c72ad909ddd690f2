import { loadConfig } from '../config.js';
import type { GlobalOptions } from './cli-context.js';

/** What the command line works on: a data directory, a server over HTTP, or a server over gRPC. */
export type CliTarget =
  | { kind: 'data-dir' }
  | { kind: 'url'; url: string; key: string | undefined; urlFrom: '--url' | 'MEMSPACE_URL'; keyFrom: '--key' | 'MEMSPACE_KEY' | undefined }
  | { kind: 'grpc'; address: string; key: string | undefined; from: '--grpc' | 'MEMSPACE_GRPC' };

/** Two ways of naming what to work on given together: a usage error (exit 2), with the message to print. */
export class TargetConflict extends Error {}

/**
 * The target of the global options, the environment filling in what they leave out. The rule,
 * once: a flag beats an environment variable (`--data-dir` over `MEMSPACE_URL`, `--url` over
 * `MEMSPACE_GRPC`), and two of the same kind that name different targets are a usage error:
 * `--url` with `--data-dir` or `--grpc`, or `MEMSPACE_URL` with `MEMSPACE_GRPC` when no flag
 * decides. `--grpc` keeps its own rule: it applies whatever the data directory (gRPC serves
 * four commands, and the others refuse to run while it is named).
 */
export function resolveTarget(options: GlobalOptions, env: NodeJS.ProcessEnv): CliTarget {
  if (options.url !== undefined && options.dataDir !== undefined) throw new TargetConflict('--url and --data-dir name two places to work on: give one');
  if (options.url !== undefined && options.grpc !== undefined) throw new TargetConflict('--url and --grpc name two servers: give one');
  const config = loadConfig({ url: options.url, grpc: options.grpc, key: options.key }, env);
  const url = options.url ?? (options.dataDir === undefined && options.grpc === undefined ? config.url : undefined);
  const grpc = options.grpc ?? (options.url === undefined ? config.grpc : undefined);
  if (url !== undefined && grpc !== undefined) throw new TargetConflict('MEMSPACE_URL and MEMSPACE_GRPC both name a server: unset one, or give --url, --grpc or --data-dir');
  const keyFrom = options.key !== undefined ? '--key' : config.key !== undefined ? 'MEMSPACE_KEY' : undefined;
  if (url !== undefined) return { kind: 'url', url, key: config.key, urlFrom: options.url !== undefined ? '--url' : 'MEMSPACE_URL', keyFrom };
  if (grpc !== undefined) return { kind: 'grpc', address: grpc, key: config.key, from: options.grpc !== undefined ? '--grpc' : 'MEMSPACE_GRPC' };
  return { kind: 'data-dir' };
}
