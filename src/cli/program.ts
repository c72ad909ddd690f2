import { Command, CommanderError } from 'commander';
import { isMemspaceError, toMemspaceError } from '../core/errors.js';
import { LOCAL_PRINCIPAL } from '../engine/access-guard.js';
import { cliContext, commandOutput, type CliContext, type CliIO, type GlobalOptions } from './cli-context.js';
import { cliRuntime } from './runtime.js';
import { fillCurrentSpace } from './cli-settings.js';
import { forCliUser } from './remote-errors.js';
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
import { registerRoute } from './commands/route.js';
import { registerServe } from './commands/serve.js';
import { registerSpaces } from './commands/spaces.js';
import { registerStatus } from './commands/status.js';
import { registerSweep } from './commands/sweep.js';
import { registerTransfer } from './commands/transfer.js';
import { registerUse } from './commands/use.js';
import { refuseRemote } from './remote.js';
import { TargetConflict } from './target.js';

export type { CliIO } from './cli-context.js';

/** Exit codes: success, an error with a code, a usage error. */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2 } as const;

/** The command groups, in the order `memspace --help` lists their commands. */
const COMMAND_GROUPS: readonly ((program: Command, ctx: CliContext) => void)[] = [
  registerServe,
  registerStatus,
  registerUse,
  registerKeys,
  registerProjects,
  registerSpaces,
  registerSweep,
  registerConsolidate,
  registerMigrate,
  registerMemories,
  registerFeedback,
  registerRelations,
  registerRoute,
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
  // The runtime reads the options once an action runs, from the program it is part of.
  const built: { program?: Command } = {};
  const runtime = cliRuntime(io, () => built.program?.opts<GlobalOptions>() ?? {});
  const program = (built.program = buildProgram(io, runtime));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    reportError(forCliUser(await explained(error, runtime), runtime.resolved()), io, program.opts<GlobalOptions>().json === true);
    return EXIT.ERROR;
  } finally {
    await runtime.close();
  }
}

/**
 * `error` with what to do next when it is a `SPACE_NOT_FOUND` on the data directory: the
 * closest space name and how to create it, as the guard tells every interface
 * (`guard.explain`, as the local operator, who sees every space). Over `--url` the server has
 * already explained it to the key. Only the engine's bare refusal is explained: a command that
 * words its own (`mcp --no-create`) keeps its words.
 */
async function explained(error: unknown, runtime: ReturnType<typeof cliRuntime>): Promise<unknown> {
  if (!isMemspaceError(error, 'SPACE_NOT_FOUND') || runtime.resolved()?.kind !== 'data-dir') return error;
  if (error.message !== `space "${String(error.details?.['space'])}" not found`) return error;
  try {
    // The engine answered SPACE_NOT_FOUND, so the memspace is open: this is the same opening.
    return await (await runtime.open()).guard.explain(error, LOCAL_PRINCIPAL);
  } catch {
    return error;
  }
}

function buildProgram(io: CliIO, runtime: ReturnType<typeof cliRuntime>): Command {
  const program = commandOutput(
    new Command('memspace')
      .description('Isolated memory spaces for AI agents: store memories, search them by meaning and keywords.')
      .option('--data-dir <dir>', 'data directory (default: $MEMSPACE_DATA_DIR or ./memspace-data)')
      .option('--url <url>', 'a memspace HTTP server to work on instead of the data directory, e.g. http://127.0.0.1:7420 (default: $MEMSPACE_URL)')
      .option('--key <key>', 'API key for --url or --grpc (default: $MEMSPACE_KEY)')
      .option('--json', 'print JSON for scripts instead of tables')
      .option('--grpc <host:port>', 'run spaces list, add, search and events against a memspace gRPC server instead of the data directory (default: $MEMSPACE_GRPC)'),
    io,
  ).showHelpAfterError('(run with --help for usage)');
  // Checked before any action runs, so that no command quietly works on the data directory while a server is named.
  program.hook('preAction', (_program, action) => {
    try {
      refuseRemote(action, runtime.target(), (command) => runtime.hasApi(command));
    } catch (error) {
      // Two targets named at once is a mistake in the command line itself: a usage error.
      if (error instanceof TargetConflict) action.error(`error: ${error.message}`, { exitCode: EXIT.USAGE, code: 'memspace.targetConflict' });
      throw error;
    }
    fillCurrentSpace(action, io.env);
  });
  const ctx = cliContext(program, io, runtime);
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
