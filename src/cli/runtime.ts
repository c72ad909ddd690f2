import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { MemspaceError } from '../core/errors.js';
import { openMemspace, type Memspace } from '../memspace.js';
import type { CliBackend } from './backend.js';
import type { CliIO, CliRuntime, GlobalOptions } from './cli-context.js';
import { httpBackend } from './http-backend.js';
import { localBackend } from './local-backend.js';
import { commandPath, remoteConnection } from './remote.js';
import { resolveTarget, type CliTarget } from './target.js';

/** {@link CliRuntime}, with what `runCli` itself needs: the target if resolved, the marks, and closing. */
export interface CliSession extends CliRuntime {
  /** The target, if an action has resolved it (a usage error comes before any). */
  resolved(): CliTarget | undefined;
  /** Whether `command` was registered as having an API behind it. */
  hasApi(command: Command): boolean;
  /** Closes what was opened: the memspace, the gRPC client. */
  close(): Promise<void>;
}

/**
 * What one run of the command line works on, made on first use from the global options
 * (`globals`, read once commander has parsed them) and `io.env`.
 */
export function cliRuntime(io: CliIO, globals: () => GlobalOptions): CliSession {
  let target: CliTarget | undefined;
  let opening: Promise<Memspace> | undefined;
  let backend: CliBackend | undefined;
  let action: Command | undefined;
  const grpc = remoteConnection();
  const api = new WeakSet<Command>();
  const resolve = (): CliTarget => (target ??= resolveTarget(globals(), io.env));
  const open = (): Promise<Memspace> => {
    const t = resolve();
    if (t.kind === 'url') {
      // A command with an API uses the backend; reaching here is a command that works on files.
      const name = action === undefined ? 'this command' : `"${commandPath(action)}"`;
      return Promise.reject(new MemspaceError('VALIDATION_FAILED', `${name} works on a data directory only; drop ${t.urlFrom}`, { issues: [{ path: t.urlFrom, message: 'data directory only' }] }));
    }
    // One opening, however many calls wait for it at once (status asks for figures in parallel).
    opening ??= openMemspace(loadConfig({ dataDir: globals().dataDir }, io.env));
    return opening;
  };
  return {
    target: resolve,
    resolved: () => target,
    open,
    backend() {
      const t = resolve();
      backend ??= t.kind === 'url' ? httpBackend(t) : localBackend(open, globals().dataDir ?? 'the data directory');
      return backend;
    },
    remote: () => grpc.connect(resolve()),
    markApi: (command) => api.add(command),
    hasApi(command) {
      // Asked before the action of `command` runs: kept to name it should the action still open the directory.
      action = command;
      return api.has(command);
    },
    async close() {
      grpc.close();
      const ms = await opening?.catch(() => undefined);
      await ms?.close();
    },
  };
}
