import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();

/** How a child ended, with everything it wrote. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Bytes after the last newline: a line cut short (by a kill), not counted in `lines`. */
  partial: string;
}

/** A TypeScript child process that reports in lines on stdout and says READY once started. */
export interface LineChild {
  readonly child: ChildProcess;
  /** Every complete stdout line other than READY, as it arrives. */
  readonly lines: string[];
  /** Resolves on READY; rejects if the child exits first, so a broken child fails a test instead of hanging it. */
  readonly ready: Promise<void>;
  /** Resolves once the child exited and both pipes are drained: every byte written is in. */
  readonly closed: Promise<ChildExit>;
}

/** Starts `node --import tsx <script> ...args` from the repository root. */
export function spawnLineChild(script: URL, args: readonly string[], stdin: 'pipe' | 'ignore' = 'ignore'): LineChild {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script), ...args], { cwd: REPO_ROOT, stdio: [stdin, 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  let onReady!: () => void;
  const readySeen = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      if (line === 'READY') onReady();
      else lines.push(line);
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<ChildExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stderr, partial });
    });
  });
  const ready = Promise.race([
    readySeen,
    closed.then((exit) => {
      throw new Error(`${fileURLToPath(script)} ${args.join(' ')} exited before READY (code ${exit.code}, signal ${exit.signal}):\n${exit.stderr}`);
    }),
  ]);
  ready.catch(() => {}); // observed by callers that await it; never an unhandled rejection
  return { child, lines, ready, closed };
}

/** Kills every child still running; for afterAll. */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}
