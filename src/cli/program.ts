import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config.js';
import { toMemspaceError } from '../core/errors.js';
import { openMemspace, type Memspace } from '../memspace.js';
import { cliContext, commandOutput, type CliContext, type CliIO, type GlobalOptions } from './cli-context.js';
import type { MemspaceGrpcClient } from '../client/grpc-client.js';
import { registerAudit } from './commands/audit.js';
import { registerConsolidate } from './commands/consolidate.js';
import { registerEval } from './commands/eval.js';
import { registerEvents } from './commands/events.js';
import { registerFederations } from './commands/federations.js';
import { registerFeedback } from './commands/feedback.js';
import { registerKeys } from './commands/keys.js';
import { registerMcp } from './commands/mcp.js';
import { registerMemories } from './commands/memories.js';
import { registerMigrate } from './commands/migrate.js';
import { registerProjects } from './commands/projects.js';
import { registerRelations } from './commands/relations.js';
import { registerServe } from './commands/serve.js';
import { registerSpaces } from './commands/spaces.js';
import { registerStatus } from './commands/status.js';
import { registerSweep } from './commands/sweep.js';
import { registerTransfer } from './commands/transfer.js';
import { refuseRemote, remoteConnection } from './remote.js';

export type { CliIO } from './cli-context.js';

/** How commands reach the gRPC server of `--grpc`, when one is named. */
type CliRemote = (options: GlobalOptions) => Promise<MemspaceGrpcClient | undefined>;

/** Exit codes: success, an error with a code, a usage error. */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2 } as const;

/** The command groups, in the order `memspace --help` lists their commands. */
const COMMAND_GROUPS: readonly ((program: Command, ctx: CliContext) => void)[] = [
  registerServe,
  registerStatus,
  registerKeys,
  registerProjects,
  registerSpaces,
  registerSweep,
  registerConsolidate,
  registerMigrate,
  registerMemories,
  registerFeedback,
  registerRelations,
  registerEvents,
  registerTransfer,
  registerMcp,
  registerAudit,
  registerFederations,
  registerEval,
];

/**
 * Runs the `memspace` command line and returns its exit code. Every failure is printed as
 * `error: CODE: message` on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let opened: Memspace | undefined;
  const open = async (options: GlobalOptions): Promise<Memspace> => {
    opened ??= await openMemspace(loadConfig({ dataDir: options.dataDir }, io.env));
    return opened;
  };
  const remote = remoteConnection(io);
  const program = buildProgram(io, open, remote.connect);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    reportError(error, io, program.opts<GlobalOptions>().json === true);
    return EXIT.ERROR;
  } finally {
    remote.close();
    await opened?.close();
  }
}

function buildProgram(io: CliIO, open: (options: GlobalOptions) => Promise<Memspace>, remote: CliRemote): Command {
  const program = commandOutput(
    new Command('memspace')
      .description('Isolated memory spaces for AI agents: store memories, search them by meaning and keywords.')
      .option('--data-dir <dir>', 'data directory (default: $MEMSPACE_DATA_DIR or ./memspace-data)')
      .option('--json', 'print JSON for scripts instead of tables')
      .option('--grpc <host:port>', 'run spaces list, add, search and events against a memspace gRPC server instead of the data directory (default: $MEMSPACE_GRPC)')
      .option('--key <key>', 'API key for --grpc (default: $MEMSPACE_KEY)'),
    io,
  ).showHelpAfterError('(run with --help for usage)');
  // Checked before any action runs, so that no command quietly works on the data directory while a server is named.
  program.hook('preAction', (_program, action) => refuseRemote(action, program.opts<GlobalOptions>(), io.env));
  const ctx = cliContext(program, io, open, remote);
  for (const register of COMMAND_GROUPS) register(program, ctx);
  return program;
}

/** Prints a failure on stderr: the error's JSON under `--json`, else its code, message and issues for people. */
function reportError(error: unknown, io: CliIO, json: boolean): void {
  const e = toMemspaceError(error);
  if (json) {
    io.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
    return;
  }
  // An unexpected error becomes INTERNAL with the bare message 'internal error': on a terminal, its cause is the useful part.
  const message = e.code === 'INTERNAL' ? `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}` : e.message;
  io.stderr.write(`error: ${e.code}: ${message}\n`);
  for (const issue of (e.details?.['issues'] as { path: string; message: string }[] | undefined) ?? []) {
    io.stderr.write(`  ${issue.path}: ${issue.message}\n`);
  }
}
