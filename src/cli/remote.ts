import type { Command } from 'commander';
import type { MemspaceGrpcClient } from '../client/grpc-client.js';
import { loadConfig } from '../config.js';
import { MemspaceError } from '../core/errors.js';
import type { CliIO, GlobalOptions } from './cli-context.js';

/**
 * The commands that run against a memspace gRPC server under `--grpc` (or `MEMSPACE_GRPC`),
 * with the same output as on a data directory. Every other command refuses to start while a
 * server is named, rather than quietly working on the local data directory.
 */
export const GRPC_COMMANDS: readonly string[] = ['spaces list', 'add', 'search', 'events'];

/** The server and key the command line talks to: the flags, else MEMSPACE_GRPC and MEMSPACE_KEY. */
function remoteOf(options: GlobalOptions, env: NodeJS.ProcessEnv): { grpc: string | undefined; key: string | undefined } {
  const { grpc, key } = loadConfig({ grpc: options.grpc, key: options.key }, env);
  return { grpc, key };
}

/** A command's name below the root, as `memspace help` shows it: `spaces list`, `add`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Throws when a server is named (`--grpc`, `MEMSPACE_GRPC`) and `command` cannot run against
 * one: it would work on the local data directory, which the caller did not mean.
 */
export function refuseRemote(command: Command, options: GlobalOptions, env: NodeJS.ProcessEnv): void {
  const name = commandPath(command);
  if (GRPC_COMMANDS.includes(name)) return;
  if (remoteOf(options, env).grpc === undefined) return;
  const given = options.grpc !== undefined ? '--grpc' : 'MEMSPACE_GRPC';
  const supported = `${GRPC_COMMANDS.slice(0, -1).join(', ')} and ${GRPC_COMMANDS.at(-1)!}`;
  throw new MemspaceError('VALIDATION_FAILED', `"${name}" works on a data directory only; ${given} is for ${supported}`, {
    issues: [{ path: given, message: `not supported by "${name}"` }],
  });
}

/**
 * The way `runCli` connects to the named server: `connect` makes the gRPC client on first use,
 * `close` closes it.
 */
export function remoteConnection(io: CliIO): { connect(options: GlobalOptions): Promise<MemspaceGrpcClient | undefined>; close(): void } {
  let client: MemspaceGrpcClient | undefined;
  return {
    async connect(options) {
      const { grpc, key } = remoteOf(options, io.env);
      if (grpc === undefined) return undefined;
      const { MemspaceGrpcClient } = await import('../client/grpc-client.js');
      client ??= new MemspaceGrpcClient({ address: grpc, ...(key !== undefined && { apiKey: key }) });
      return client;
    },
    close: () => client?.close(),
  };
}
