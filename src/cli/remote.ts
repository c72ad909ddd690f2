import type { Command } from 'commander';
import type { MemspaceGrpcClient } from '../client/grpc-client.js';
import { MemspaceError } from '../core/errors.js';
import type { CliTarget } from './target.js';

/**
 * The commands that run against a memspace gRPC server under `--grpc` (or `MEMSPACE_GRPC`),
 * with the same output as on a data directory. Every other command refuses to start while a
 * server is named, rather than quietly working on the local data directory.
 */
export const GRPC_COMMANDS: readonly string[] = ['spaces list', 'add', 'search', 'events'];

/** A command's name below the root, as `memspace help` shows it: `spaces list`, `add`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Throws when a server is named and `command` cannot run against it: it would work on the
 * local data directory, which the caller did not mean. Over HTTP, the commands with an API
 * behind them run (`hasApi`); over gRPC, those of {@link GRPC_COMMANDS}.
 */
export function refuseRemote(command: Command, target: CliTarget, hasApi: (command: Command) => boolean): void {
  const name = commandPath(command);
  if (target.kind === 'url' && !hasApi(command)) {
    throw new MemspaceError('VALIDATION_FAILED', `"${name}" works on a data directory only (it has no HTTP API); drop ${target.urlFrom}`, {
      issues: [{ path: target.urlFrom, message: `not supported by "${name}"` }],
    });
  }
  if (target.kind !== 'grpc' || GRPC_COMMANDS.includes(name)) return;
  const supported = `${GRPC_COMMANDS.slice(0, -1).join(', ')} and ${GRPC_COMMANDS.at(-1)!}`;
  throw new MemspaceError('VALIDATION_FAILED', `"${name}" works on a data directory only; ${target.from} is for ${supported}`, {
    issues: [{ path: target.from, message: `not supported by "${name}"` }],
  });
}

/**
 * The way `runCli` connects to a gRPC server: `connect` makes the client on first use, `close`
 * closes it.
 */
export function remoteConnection(): { connect(target: CliTarget): Promise<MemspaceGrpcClient | undefined>; close(): void } {
  let client: MemspaceGrpcClient | undefined;
  return {
    async connect(target) {
      if (target.kind !== 'grpc') return undefined;
      const { MemspaceGrpcClient } = await import('../client/grpc-client.js');
      client ??= new MemspaceGrpcClient({ address: target.address, ...(target.key !== undefined && { apiKey: target.key }) });
      return client;
    },
    close: () => client?.close(),
  };
}
