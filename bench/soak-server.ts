/**
 * The server of the soak run (`bench/soak.ts`): a real `memspace serve` child process on a data
 * directory, which can be killed with SIGKILL and started again on the same directory and port,
 * and whose resident memory and open file descriptors are read from `/proc`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Longest a start may take before the run gives up. */
const START_LIMIT_MS = 60_000;
/** Characters of the server's stderr kept for a failure report. */
const STDERR_KEPT = 20_000;
/** Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`, 100 on Linux everywhere). */
const CLOCK_TICKS = 100;

/** One sample of the server process. */
export interface ProcessSample {
  /** Seconds since the run started. */
  atSec: number;
  rssMiB: number;
  fds: number;
  /** CPU time the process has used so far (user and system, every thread), in seconds. */
  cpuSec: number;
}

/** How a server process ended. */
export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the run asked for it (the planned kill, or the stop at the end). */
  planned: boolean;
}

/** A running `memspace serve`, started by {@link startSoakServer}. */
export class SoakServer {
  private stderr = '';
  private planned = false;
  /** Settles when the process has exited, however it ended. */
  readonly exited: Promise<ServerExit>;

  private constructor(
    private readonly child: ChildProcess,
    /** `http://127.0.0.1:PORT`. */
    readonly url: string,
    readonly port: number,
    stderr: string,
  ) {
    this.stderr = stderr;
    child.stderr!.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-STDERR_KEPT)));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, planned: this.planned })));
  }

  /**
   * Starts `memspace serve` from the sources (as the tests do, so the run measures the code in
   * the tree) and waits until it listens. `port` 0 takes a free one; a restart passes the port of
   * the first start so clients reconnect to the same address. Request logs go nowhere: they
   * would cost the same as in production, and nothing reads them here.
   */
  static async start(dataDir: string, port: number, env: Record<string, string>): Promise<SoakServer> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', dataDir, 'serve', '--port', String(port), '--grpc-port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production', ...env },
    });
    child.stderr!.setEncoding('utf8');
    let stderr = '';
    const listening = await new Promise<RegExpExecArray>((resolve, reject) => {
      const limit = setTimeout(() => reject(new Error(`memspace serve did not listen within ${START_LIMIT_MS} ms: ${stderr}`)), START_LIMIT_MS);
      const onData = (chunk: string): void => {
        stderr += chunk;
        const m = /listening on (http:\/\/[^\s:]+:(\d+))/.exec(stderr);
        if (m === null) return;
        clearTimeout(limit);
        child.stderr!.off('data', onData);
        resolve(m);
      };
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(limit);
        reject(new Error(`memspace serve exited (${code ?? signal}) before listening: ${stderr}`));
      });
    });
    return new SoakServer(child, listening[1]!, Number(listening[2]), stderr);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The end of what the server wrote on stderr, for a failure report. */
  stderrTail(): string {
    return this.stderr.slice(-2_000);
  }

  /** Resident memory, open file descriptors and CPU time now, or undefined once the process is gone (or dying). */
  async sample(atSec: number): Promise<ProcessSample | undefined> {
    try {
      const [status, stat, fds] = await Promise.all([
        readFile(`/proc/${this.pid}/status`, 'utf8'),
        readFile(`/proc/${this.pid}/stat`, 'utf8'),
        readdir(`/proc/${this.pid}/fd`),
      ]);
      const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
      // utime and stime are the 12th and 13th fields after the command, which may hold spaces but ends with ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuSec = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      if (!Number.isFinite(rssKiB) || !Number.isFinite(cpuSec)) return undefined;
      return { atSec, rssMiB: rssKiB / 1024, fds: fds.length, cpuSec };
    } catch {
      return undefined;
    }
  }

  /** SIGKILL, as a crash or an OOM killer would: nothing is flushed or closed. */
  async kill9(): Promise<ServerExit> {
    this.planned = true;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, the graceful stop; SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<ServerExit> {
    this.planned = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** Lifecycle counters of a server's `/metrics`; they restart at zero with the process. */
export interface LifecycleCounters {
  opens: number;
  evictions: number;
  idleCloses: number;
  sweeps: number;
  sweptMemories: number;
  /** Most spaces open at once among the scrapes. */
  maxOpenSpaces: number;
}

/** One server process: its samples and its last metrics. */
export interface LifetimeRecord {
  pid: number;
  /** Seconds since the run started. */
  startSec: number;
  endSec: number | undefined;
  samples: ProcessSample[];
  counters: LifecycleCounters;
}

/** What the supervisor needs of the run. */
export interface SupervisorOptions {
  dataDir: string;
  /** The server's environment; `MEMSPACE_ROOT_KEY` is also the key of the metrics scrapes. */
  env: Record<string, string> & { MEMSPACE_ROOT_KEY: string };
  /** Seconds since the run started. */
  clock(): number;
  /** Every this many ms, a sample and a scrape. */
  sampleMs: number;
  fail(message: string): void;
  progress(message: string): void;
}

/**
 * The server across its lifetimes: starts it again after the planned kill (or, recording a
 * failure, after any other exit), and samples its memory, descriptors and metrics.
 */
export class Supervisor {
  readonly lifetimes: LifetimeRecord[] = [];
  readonly url: string;
  private readonly port: number;
  private monitoring = true;

  private constructor(
    private server: SoakServer,
    private readonly options: SupervisorOptions,
  ) {
    this.url = server.url;
    this.port = server.port;
    this.follow(server);
  }

  /** Starts the first server, on a free port. */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    return new Supervisor(await SoakServer.start(options.dataDir, 0, options.env), options);
  }

  /** SIGKILL, a second without a server (requests meanwhile go unanswered), then a start on the same directory and port. */
  async killAndRestart(): Promise<{ atSec: number; downSec: number }> {
    const at = this.options.clock();
    this.options.progress(`kill -9 of the server (pid ${this.server.pid}) at ${at.toFixed(0)} s`);
    await this.server.kill9();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await this.restart();
    const downSec = this.options.clock() - at;
    this.options.progress(`server started again (pid ${this.server.pid}) after ${downSec.toFixed(1)} s`);
    return { atSec: at, downSec };
  }

  /** Samples the current server every few seconds until {@link stopMonitoring}. */
  async monitor(): Promise<void> {
    while (this.monitoring) {
      const life = this.lifetimes.at(-1)!;
      const server = this.server;
      const sample = await server.sample(this.options.clock());
      if (sample !== undefined) life.samples.push(sample);
      const counters = await this.scrape(server.url);
      if (counters !== undefined) life.counters = { ...counters, maxOpenSpaces: Math.max(life.counters.maxOpenSpaces, counters.maxOpenSpaces) };
      await new Promise((resolve) => setTimeout(resolve, this.options.sampleMs));
    }
  }

  stopMonitoring(): void {
    this.monitoring = false;
  }

  /** The graceful stop at the end. */
  stop(): Promise<ServerExit> {
    return this.server.stop();
  }

  stderrTail(): string {
    return this.server.stderrTail();
  }

  private follow(server: SoakServer): void {
    const life: LifetimeRecord = {
      pid: server.pid,
      startSec: this.options.clock(),
      endSec: undefined,
      samples: [],
      counters: { opens: 0, evictions: 0, idleCloses: 0, sweeps: 0, sweptMemories: 0, maxOpenSpaces: 0 },
    };
    this.lifetimes.push(life);
    void server.exited.then(async (exit) => {
      life.endSec = this.options.clock();
      if (exit.planned) return;
      this.options.fail(`the server exited unplanned (${exit.code ?? exit.signal}) at ${life.endSec.toFixed(0)} s: ${server.stderrTail()}`);
      await this.restart().catch((error: unknown) => this.options.fail(`the server did not start again: ${String(error)}`));
    });
  }

  private async restart(): Promise<void> {
    this.server = await SoakServer.start(this.options.dataDir, this.port, this.options.env);
    this.follow(this.server);
  }

  /** The lifecycle counters of a server's `/metrics` (spaces open now as `maxOpenSpaces`), or undefined when it does not answer. */
  private async scrape(url: string): Promise<LifecycleCounters | undefined> {
    try {
      const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${this.options.env.MEMSPACE_ROOT_KEY}` }, signal: AbortSignal.timeout(5_000) });
      if (!response.ok) return undefined;
      const text = await response.text();
      const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
      return {
        opens: value('memspace_space_opens_total'),
        evictions: value('memspace_space_evictions_total'),
        idleCloses: value('memspace_space_idle_closes_total'),
        sweeps: value('memspace_sweeps_total'),
        sweptMemories: value('memspace_swept_memories_total'),
        maxOpenSpaces: value('memspace_open_spaces'),
      };
    } catch {
      return undefined;
    }
  }
}
