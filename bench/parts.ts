/**
 * A benchmark made of parts, each of which may fail without failing the others, and each timed
 * with the machine's load average at its start and end (other work on the machine skews a part's
 * figures). Shared by the benchmarks that report per part (consolidation.ts, retrieval.ts).
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

/** A part's figures, or why it failed. */
export type Part<T> = T | { error: string };

/** One part's timing: its name, the 1-minute load average at its start and end, its seconds. */
export interface PartLoad {
  part: string;
  start: number;
  end: number;
  sec: number;
}

/** Runs `fn`; its error, logged, becomes the part's `{error}`. */
export async function attempt<T>(fn: () => Promise<T>): Promise<Part<T>> {
  try {
    return await fn();
  } catch (error) {
    console.error(error);
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

/** When a run of parts ended, how long it took, and the load over it and over each part. */
export interface PartsSummary {
  date: string;
  durationSec: number;
  loadAverage: { start: number; end: number };
  /** 1-minute load average when each part started and ended: other work on the machine skews its figures. */
  loadByPart: PartLoad[];
}

/**
 * A runner of parts that says each part as it starts (`<prefix>: <name>...`) and records its
 * load; `summary()` gives the run's {@link PartsSummary}.
 */
export function partRunner(prefix: string, progress: ((line: string) => void) | undefined) {
  const loadByPart: PartLoad[] = [];
  const loadStart = loadavg()[0] ?? Number.NaN;
  const started = performance.now();
  const run = async <T>(name: string, fn: () => Promise<T>): Promise<Part<T>> => {
    progress?.(`${prefix}: ${name}...`);
    const start = loadavg()[0] ?? Number.NaN;
    const at = performance.now();
    const result = await attempt(fn);
    loadByPart.push({ part: name, start, end: loadavg()[0] ?? Number.NaN, sec: (performance.now() - at) / 1000 });
    return result;
  };
  const summary = (): PartsSummary => ({
    date: new Date().toISOString(),
    durationSec: (performance.now() - started) / 1000,
    loadAverage: { start: loadStart, end: loadavg()[0] ?? Number.NaN },
    loadByPart,
  });
  return { run, summary };
}

/** The machine a run measured on: CPU model and count, memory, Node and platform. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${availableParallelism()} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

/** The sentence of a results section that says on what machine and under what load a run of parts measured. */
export function loadSentence(run: PartsSummary): string {
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const parts = run.loadByPart.map((p) => `${p.part} ${f(p.start)} and ${f(p.end)} (${Math.round(p.sec).toLocaleString('en-US')} s)`).join('; ');
  return `Load average ${f(run.loadAverage.start)} at the start, ${f(run.loadAverage.end)} at the end (${machineLine()}); by part, at its start and end: ${parts}. The benchmark itself accounts for about 1 (2 while it embeds); more means other work shared the CPUs.`;
}
