import { LOCAL_PRINCIPAL, type CallContext } from '../engine/access-guard.js';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { MemspaceGrpcClient } from '../client/grpc-client.js';
import type { Memspace } from '../memspace.js';
import type { CliBackend } from './backend.js';
import type { TextSink } from './format.js';
import type { CliTarget } from './target.js';

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
  /** Base URL of a memspace HTTP server to work on instead of the data directory. */
  url?: string;
  /** `host:port` of a memspace gRPC server, for the commands that can run against one. */
  grpc?: string;
  /** API key for `url` or `grpc`. */
  key?: string;
}

/**
 * The command line's calls of the engine: whoever runs it holds the data directory, so it acts
 * as the local principal; its writes are recorded in history and the audit trail as `cli`.
 */
export const CLI_CALL: CallContext = { principal: LOCAL_PRINCIPAL, actor: 'cli' };

/** What the context of the commands is made of: `runCli` resolves the target and opens what is asked for once. */
export interface CliRuntime {
  /** What the global options and the environment name to work on; resolved on first call, inside an action. */
  target(): CliTarget;
  /** The memspace of the data directory, opened on first use; refused while a server is named. */
  open(): Promise<Memspace>;
  /** The calls of the target: the engine on the data directory, or the SDK on the server of `--url`. */
  backend(): CliBackend;
  /** The gRPC client of `--grpc`, or undefined. */
  remote(): Promise<MemspaceGrpcClient | undefined>;
  /** Records that `command` has an API behind it, so it runs against the server of `--url` too. */
  markApi(command: Command): void;
}

/** What every command group registers its commands with. */
export interface CliContext {
  readonly io: CliIO;
  /** The global options as parsed; call it inside actions, once commander has parsed them. */
  globals(): GlobalOptions;
  /** What the command line works on: the data directory, or the server of `--url` or `--grpc`. */
  target(): CliTarget;
  /**
   * The memspace of the global `--data-dir`, opened on first use and closed by `runCli`. Only
   * for commands with no API behind them (they refuse to start while `--url` is given); the
   * others ask {@link backend}.
   */
  open(): Promise<Memspace>;
  /**
   * The calls of the target, the same whether it is the data directory (the engine, as the
   * local operator) or the server of `--url` (the SDK, with the key of `--key`). Commands
   * registered with {@link apiCommand} use it and nothing else.
   */
  backend(): CliBackend;
  /**
   * The client of the gRPC server of `--grpc` (else `MEMSPACE_GRPC`), with the key of `--key`
   * (else `MEMSPACE_KEY`), made on first use and closed by `runCli`; undefined when the command
   * works elsewhere. Only the commands that can run over gRPC ask for it; the others never
   * start while a gRPC server is named.
   */
  remote(): Promise<MemspaceGrpcClient | undefined>;
  /** Prints `json` under the global `--json`, else the text `human` returns (built only then). */
  print(json: unknown, human: () => string): void;
  /**
   * Adds a subcommand to `parent` that fails and prints as the root command does. `usage` is
   * commander's: the name, then the arguments that need no description, e.g. `get <space> <id>`.
   * It works on a data directory only: it refuses to start while `--url` is given.
   */
  command(parent: Command, usage: string, description: string): Command;
  /** {@link command} for a command with an API behind it, which runs against the server of `--url` too. */
  apiCommand(parent: Command, usage: string, description: string): Command;
}

/** The context of the commands of `program`; `runtime` reads the options when an action runs, not when the commands are registered. */
export function cliContext(program: Command, io: CliIO, runtime: CliRuntime): CliContext {
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  // Not parent.command(usage, description): given a description, commander makes an executable subcommand.
  const command = (parent: Command, usage: string, description: string): Command => commandOutput(parent.command(usage), io).description(description);
  return {
    io,
    globals,
    target: () => runtime.target(),
    open: () => runtime.open(),
    backend: () => runtime.backend(),
    remote: () => runtime.remote(),
    print(json, human) {
      io.stdout.write(globals().json === true ? `${JSON.stringify(json, null, 2)}\n` : human());
    },
    command,
    apiCommand(parent, usage, description) {
      const made = command(parent, usage, description);
      runtime.markApi(made);
      return made;
    },
  };
}

/**
 * Makes `command` throw instead of exiting the process, and print to `io` instead of the
 * process's streams: `runCli` turns the throw into an exit code, and tests capture the text.
 */
export function commandOutput(command: Command, io: CliIO): Command {
  return command.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
}
