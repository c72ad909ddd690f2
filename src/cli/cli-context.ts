import { LOCAL_PRINCIPAL, type CallContext } from '../engine/access-guard.js';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { MemspaceGrpcClient } from '../client/grpc-client.js';
import type { Memspace } from '../memspace.js';
import type { TextSink } from './format.js';

/** Where the CLI reads and writes; the process's streams, or buffers in tests. */
export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /**
   * Stops a command that runs until interrupted (`events`), as Ctrl-C (SIGINT) or SIGTERM do;
   * tests abort it instead of signalling their own process.
   * @default undefined (only the process's signals stop it)
   */
  signal?: AbortSignal;
}

/** The options of the root command, valid in every subcommand. */
export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  /** `host:port` of a memspace gRPC server, for the commands that can run against one. */
  grpc?: string;
  /** API key for `grpc`. */
  key?: string;
}

/**
 * The command line's calls of the engine: whoever runs it holds the data directory, so it acts
 * as the local principal; its writes are recorded in history and the audit trail as `cli`.
 */
export const CLI_CALL: CallContext = { principal: LOCAL_PRINCIPAL, actor: 'cli' };

/** What every command group registers its commands with. */
export interface CliContext {
  readonly io: CliIO;
  /** The global options as parsed; call it inside actions, once commander has parsed them. */
  globals(): GlobalOptions;
  /** The memspace of the global `--data-dir`, opened on first use and closed by `runCli`. */
  open(): Promise<Memspace>;
  /**
   * The client of the gRPC server of `--grpc` (else `MEMSPACE_GRPC`), with the key of `--key`
   * (else `MEMSPACE_KEY`), made on first use and closed by `runCli`; undefined when the command
   * works on the data directory. Only the commands that can run remotely ask for it; the others
   * never start while a server is named.
   */
  remote(): Promise<MemspaceGrpcClient | undefined>;
  /** Prints `json` under the global `--json`, else the text `human` returns (built only then). */
  print(json: unknown, human: () => string): void;
  /**
   * Adds a subcommand to `parent` that fails and prints as the root command does. `usage` is
   * commander's: the name, then the arguments that need no description, e.g. `get <space> <id>`.
   */
  command(parent: Command, usage: string, description: string): Command;
}

/**
 * The context of the commands of `program`. `open` and `remote` take the global options so that
 * the data directory and the server are read when an action runs, not when the commands are
 * registered.
 */
export function cliContext(
  program: Command,
  io: CliIO,
  open: (options: GlobalOptions) => Promise<Memspace>,
  remote: (options: GlobalOptions) => Promise<MemspaceGrpcClient | undefined>,
): CliContext {
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  return {
    io,
    globals,
    open: () => open(globals()),
    remote: () => remote(globals()),
    print(json, human) {
      io.stdout.write(globals().json === true ? `${JSON.stringify(json, null, 2)}\n` : human());
    },
    // Not parent.command(usage, description): given a description, commander makes an executable subcommand.
    command: (parent, usage, description) => commandOutput(parent.command(usage), io).description(description),
  };
}

/**
 * Makes `command` throw instead of exiting the process, and print to `io` instead of the
 * process's streams: `runCli` turns the throw into an exit code, and tests capture the text.
 */
export function commandOutput(command: Command, io: CliIO): Command {
  return command.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
}
