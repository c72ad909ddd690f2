import { spaceKey } from '../core/space-name.js';
import type { HealthSample } from '../core/health-views.js';
import { iso } from '../core/views.js';
import { BackgroundRounds } from './background-rounds.js';
import type { SpaceRegistry } from './space-registry.js';

/** How far back a space's samples go: the console draws the last hour. */
export const HEALTH_WINDOW_MS = 3_600_000;
/** Most samples a space keeps: an hour at the default interval of a minute. */
export const MAX_HEALTH_SAMPLES = 60;

interface Ring {
  samples: HealthSample[];
  /** The change feed's last sequence at the previous sample, to count the writes in between. */
  lastSeq: number;
}

/**
 * The process's own health history: every interval, the cheap figures of each space open in
 * this process (memories, payload and disk bytes, index lag, writes since the previous sample)
 * go into that space's ring of the last hour. Only open spaces are sampled, so sampling never
 * opens a space nor keeps one open (the registry's `ifOpen`); a space closed for an hour has
 * nothing left, and a deleted space's ring goes with it. The history lives in memory: a restart
 * starts it again, and each process of a shared PostgreSQL backend keeps its own.
 */
export class HealthSampler {
  private readonly rings = new Map<string, Ring>();
  private readonly rounds = new BackgroundRounds(() => this.sample());
  private interval = 0;

  constructor(
    private readonly registry: SpaceRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** The interval of the running rounds; 0 while none run. */
  get intervalMs(): number {
    return this.interval;
  }

  /** Samples every `intervalMs` in the background (0: never); the process is not kept alive for it. */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.interval = intervalMs;
    this.rounds.start(intervalMs);
  }

  /** Stops the rounds and waits for one in progress; the samples taken stay readable. */
  async stop(): Promise<void> {
    this.interval = 0;
    await this.rounds.stop();
  }

  /** One round: a sample of each open space, and the rings of spaces not seen for an hour dropped. */
  async sample(): Promise<void> {
    const now = this.now();
    for (const name of this.registry.openNames()) {
      // A space closing or failing meanwhile is simply not sampled this round.
      const stats = await this.registry.ifOpen(name, ({ store }) => store.stats()).catch(() => undefined);
      if (stats === undefined) continue;
      const key = spaceKey(name);
      const ring = this.rings.get(key) ?? { samples: [], lastSeq: stats.lastSeq };
      const first = ring.samples.length === 0;
      ring.samples.push({
        at: iso(now),
        memories: stats.memories,
        payloadBytes: stats.payloadBytes,
        bytes: stats.bytes,
        indexLag: stats.vectorIndex.lag,
        writes: first ? null : Math.max(0, stats.lastSeq - ring.lastSeq),
      });
      ring.lastSeq = stats.lastSeq;
      this.rings.set(key, ring);
    }
    for (const [key, ring] of this.rings) {
      prune(ring, now);
      if (ring.samples.length === 0) this.rings.delete(key);
    }
  }

  /** The samples of a space within the last hour, oldest first; empty for a space never sampled. The caller decides access. */
  samplesOf(space: string): HealthSample[] {
    const ring = this.rings.get(spaceKey(space));
    if (ring === undefined) return [];
    prune(ring, this.now());
    return [...ring.samples];
  }

  /** Forgets a space's samples: it was deleted, and a new space of the same name starts afresh. */
  forget(space: string): void {
    this.rings.delete(spaceKey(space));
  }
}

/** Keeps the ring to the last hour and to {@link MAX_HEALTH_SAMPLES} entries. */
function prune(ring: Ring, now: number): void {
  const oldest = now - HEALTH_WINDOW_MS;
  let drop = Math.max(0, ring.samples.length - MAX_HEALTH_SAMPLES);
  while (drop < ring.samples.length && Date.parse(ring.samples[drop]!.at) <= oldest) drop++;
  if (drop > 0) ring.samples.splice(0, drop);
}
