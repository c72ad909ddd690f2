import type { Command } from 'commander';
import { isMemspaceError, MemspaceError } from '../../core/errors.js';
import type { ChangeEvent } from '../../core/views.js';
import type { CliContext, CliIO } from '../cli-context.js';
import { toInt } from '../options.js';

/** Registers `events`: a space's change feed, followed until interrupted. */
export function registerEvents(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'events <space>', "follow a space's change feed, one line per change (JSON Lines with --json), until Ctrl-C")
    .option('--after <seq>', "start after this sequence number, the last one seen, or 'latest' for only the changes from now on (default: everything the feed holds)", toPosition, 0)
    .option('--limit <n>', 'exit after this many events (default: run until Ctrl-C)', toInt)
    .action(async (space: string, o: { after: number | 'latest'; limit?: number }) => {
      if (typeof o.after === 'number' && o.after < 0) throw new MemspaceError('VALIDATION_FAILED', '--after is a sequence number, 0 or more', { issues: [{ path: '--after', message: 'not negative' }] });
      if (o.limit !== undefined && o.limit < 1) throw new MemspaceError('VALIDATION_FAILED', '--limit is a number of events, 1 or more', { issues: [{ path: '--limit', message: 'at least 1' }] });
      const json = ctx.globals().json === true;
      const stop = interruption(ctx.io);
      let printed = 0;
      try {
        for await (const event of follow(ctx, space, o.after, stop.signal)) {
          // A stream prints as it goes: one compact JSON object a line, not one document at the end.
          ctx.io.stdout.write(json ? `${JSON.stringify(event)}\n` : `${event.seq}  ${event.at}  ${event.op}  ${event.id}\n`);
          if (++printed === o.limit) break;
        }
      } catch (error) {
        throw isMemspaceError(error, 'CURSOR_EXPIRED') ? withRestartHint(error) : error;
      } finally {
        stop.dispose();
      }
    });
}

/** Commander's parser of `--after`: a sequence number, or `latest`. */
function toPosition(value: string): number | 'latest' {
  return value === 'latest' ? value : toInt(value);
}

/** A `CURSOR_EXPIRED` error that also says how to start again from the command line. */
function withRestartHint(error: MemspaceError): MemspaceError {
  const oldest = Number(error.details?.['oldest']);
  const restart = Number.isSafeInteger(oldest) ? `--after ${oldest - 1} (everything the feed still holds) or --after latest` : '--after latest';
  return new MemspaceError(error.code, `${error.message}; start again with ${restart}`, error.details, { cause: error });
}

/** The events of `space` after `after`: from the server of `--grpc`, else from the target of the command line. */
async function* follow(ctx: CliContext, space: string, after: number | 'latest', signal: AbortSignal): AsyncGenerator<ChangeEvent> {
  const remote = await ctx.remote();
  yield* remote === undefined ? ctx.backend().events(space, after, signal) : remote.events(space, { after, signal });
}

/** A signal that aborts on Ctrl-C, SIGTERM or the CLI's own signal (tests); `dispose` stops listening. */
function interruption(io: CliIO): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  io.signal?.addEventListener('abort', stop, { once: true });
  if (io.signal?.aborted === true) stop();
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
    },
  };
}
