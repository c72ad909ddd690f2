import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** What one command printed (stdout and stderr, interleaved as a terminal shows them). */
export interface CommandResult {
  output: string;
  /** Exit status; for a background command, the pid of the process started. */
  status: number;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One bash process fed commands one at a time, as a user types them into a terminal: `cd`,
 * `export` and shell variables carry over from command to command. stderr goes where stdout
 * goes, so output is interleaved as on a terminal. Each command reads /dev/null as stdin.
 *
 * The session runs in a process group of its own: {@link close} ends it with everything it
 * started in the background (servers).
 */
export class ShellSession {
  private buffer = '';
  private exited = false;
  private bgCount = 0;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly scratch: string,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (this.buffer += chunk));
    child.stderr.resume();
    child.on('exit', () => (this.exited = true));
  }

  /**
   * Starts bash in `cwd` with exactly `env` (nothing inherited), in a process group of its own.
   * `scratch` is a directory for the runner's own files (background output).
   */
  static start(options: { cwd: string; env: Record<string, string>; scratch: string }): ShellSession {
    const child = spawn('bash', ['--norc', '--noprofile'], { cwd: options.cwd, env: options.env, detached: true, stdio: 'pipe' });
    // stderr joins stdout; `__docs_return` hands a command's status on to the next one's `$?`.
    child.stdin.write('exec 2>&1\n__docs_return() { return "$1"; }\n');
    return new ShellSession(child, options.scratch);
  }

  /** Runs one command and returns what it printed and its exit status. */
  async run(command: string, timeoutMs = 180_000): Promise<CommandResult> {
    const mark = `__memspace_docs_${randomBytes(6).toString('hex')}__`;
    this.child.stdin.write(`{ ${command}\n} < /dev/null\n__docs_status=$?\nprintf '\\n${mark} %d\\n' "$__docs_status"\n__docs_return "$__docs_status"\n`);
    return this.until(mark, timeoutMs);
  }

  /**
   * Starts `command` (which ends in `&`) in the background, its stdout and stderr in a file of
   * the runner's unless the command redirects them itself, then waits until that file holds
   * `lines` complete lines, the process ends, or `timeoutMs` passes. Returns what it printed by
   * then; the process keeps running until the command of the document or {@link close} ends it.
   */
  async runBackground(command: string, lines: number, timeoutMs = 90_000): Promise<CommandResult> {
    const mark = `__memspace_docs_${randomBytes(6).toString('hex')}__`;
    const file = join(this.scratch, `background-${++this.bgCount}.out`);
    this.child.stdin.write(`{ ${command}\n} > '${file}' 2>&1 < /dev/null\nprintf '\\n${mark} %d\\n' "$!"\n`);
    const { status: pid } = await this.until(mark, 10_000);
    const read = (): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && read().split('\n').length - 1 < lines && alive(pid)) await pause(100);
    await pause(50);
    return { output: read(), status: pid };
  }

  private async until(mark: string, timeoutMs: number): Promise<CommandResult> {
    const end = new RegExp(`\\n${mark} (-?\\d+)\\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = end.exec(this.buffer);
      if (found) {
        const output = this.buffer.slice(0, found.index);
        this.buffer = this.buffer.slice(found.index + found[0].length);
        return { output, status: Number(found[1]) };
      }
      if (this.exited) throw new Error(`the shell exited; it printed:\n${this.buffer}`);
      if (Date.now() > deadline) {
        const partial = this.buffer;
        this.buffer = '';
        throw new Error(`no end of the command within ${timeoutMs} ms; it printed:\n${partial}`);
      }
      await pause(20);
    }
  }

  /** Ends the shell, then whatever it left running (SIGTERM, SIGKILL after 10 s). */
  async close(): Promise<void> {
    const group = -this.child.pid!;
    this.child.stdin.end();
    for (let i = 0; i < 50 && !this.exited; i++) await pause(100);
    const signal = (s: NodeJS.Signals | 0): boolean => {
      try {
        process.kill(group, s);
        return true;
      } catch {
        return false; // nothing left in the group
      }
    };
    if (!signal('SIGTERM')) return;
    for (let i = 0; i < 100; i++) {
      await pause(100);
      if (!signal(0)) return;
    }
    signal('SIGKILL');
  }
}

/** The directory holding the `node` running this process, for a PATH that finds the same Node. */
export function nodeBinDir(): string {
  return dirname(process.execPath);
}
