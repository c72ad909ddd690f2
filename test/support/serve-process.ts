import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every process started here, so a test that fails half-way leaves none running. */
const started = new Set<ChildProcess>();

/** Kills (SIGKILL) every `memspace serve` a test of this file started and did not stop. */
export function killServeProcesses(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/** A `memspace serve` child process, once it listens. */
export interface ServeProcess {
  child: ChildProcess;
  /** The HTTP API, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The gRPC API, e.g. `127.0.0.1:41235`; undefined when it serves none. */
  grpcAddress: string | undefined;
  /** The root key it printed on its first start. */
  rootKey: string | undefined;
  /** Settles with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `memspace serve` on `dataDir` with `args` (e.g. `--port 0 --grpc-port 0`) and waits until it listens. */
export async function startServeProcess(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', dataDir, 'serve', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  started.add(child);
  // Request logs go to stdout: read and dropped, or a full pipe would stall the server's writes.
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const line = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /listening on (http:\/\/\S+) \(API docs: [^)]+\)(?:, gRPC on (\S+))?\n/.exec(stderr);
      if (m) resolve(m);
    });
    void exited.then((code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });
  return { child, url: line[1]!, grpcAddress: line[2], rootKey: /root key, shown this once \(store it now\): (msk_\S+)/.exec(stderr)?.[1], exited };
}
