import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MemspaceError } from '../core/errors.js';
import { NAMESPACE_HEADER, SPACE_HEADER, spaceKey, validateSpaceName } from '../core/space-name.js';
import type { ConsolidationMeter, PassTotals } from '../engine/consolidation-meter.js';
import type { Memspace } from '../memspace.js';

/** Options of the Prometheus metrics of one app. */
export interface MetricsOptions {
  /** Count requests per space (`memspace_space_requests_total{space}`). @default false */
  perSpace?: boolean;
  /** Most distinct `space` label values; requests of further spaces count as `_other`. @default 100 */
  spaceCap?: number;
  /** Also export the process's CPU, memory, event-loop and GC figures. @default true */
  processMetrics?: boolean;
}

/**
 * What the metrics read: the registry's, the sweeper's and consolidation's running figures at
 * scrape time, each consolidation pass as it completes, each feedback call's signals, and who
 * may see which space.
 */
export type MetricsSource = Pick<Memspace, 'health' | 'sweeper' | 'guard' | 'consolidation' | 'feedback'>;

/** Label of requests that matched no route: raw URLs would give one series per URL anyone sends. */
export const UNMATCHED_ROUTE = 'unmatched';
/** Label of the spaces past the cap of per-space series. */
export const OTHER_SPACE = '_other';

/** Seconds; from sub-millisecond reads to slow imports. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds; from a pass over a few memories to one over a large space, up to an hour. */
const PASS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The Prometheus metrics of one HTTP app, in a registry of their own (never prom-client's global
 * one, so several apps in one process, as in tests, keep separate figures). Request figures are
 * labelled by route template, never by URL; registry and sweeper figures are read at scrape time.
 */
export class HttpMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly perSpace: Counter<'space'> | undefined;
  private readonly passDuration: Histogram<'space'>;
  /** Stops listening to consolidation passes and feedback calls. */
  private readonly unlisten: (() => void)[];
  /** Spaces that have a series of their own, by case-folded name. */
  private readonly labelled = new Set<string>();
  private readonly spaceCap: number;

  constructor(
    private readonly source: MetricsSource,
    options: MetricsOptions = {},
  ) {
    const registers = [this.registry];
    this.spaceCap = Math.max(0, options.spaceCap ?? 100);
    this.requests = new Counter({ name: 'memspace_http_requests_total', help: 'HTTP requests by method, route template and status.', labelNames: ['method', 'route', 'status'], registers });
    this.duration = new Histogram({
      name: 'memspace_http_request_duration_seconds',
      help: 'HTTP request duration in seconds by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.perSpace =
      options.perSpace === true
        ? new Counter({ name: 'memspace_space_requests_total', help: `HTTP requests by space (at most ${this.spaceCap} spaces, the rest as "${OTHER_SPACE}").`, labelNames: ['space'], registers })
        : undefined;

    const registry = (): ReturnType<MetricsSource['health']['registryStats']> => this.source.health.registryStats();
    const sweeper = (): ReturnType<MetricsSource['sweeper']['stats']> => this.source.sweeper.stats();
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    };
    // Totals kept by the engine: exported as counters, set to the engine's figure at each scrape.
    const total = (name: string, help: string, read: () => number): void => {
      new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
    };
    gauge('memspace_open_spaces', 'Spaces whose storage is open in this process.', () => registry().open);
    gauge('memspace_max_open_spaces', 'Most spaces open at once before the least recently used is closed.', () => registry().cap);
    total('memspace_space_opens_total', 'Spaces opened.', () => registry().opens);
    total('memspace_space_evictions_total', 'Spaces closed to make room under the open-space cap.', () => registry().evictions);
    total('memspace_space_idle_closes_total', 'Spaces closed after being idle.', () => registry().idleCloses);
    total('memspace_space_open_failures_total', 'Space opens that failed (damaged or unreadable storage).', () => registry().openFailures);
    total('memspace_sweeps_total', 'Retention sweeps run.', () => sweeper().runs);
    total('memspace_swept_memories_total', 'Memories hard-deleted by retention sweeps (expired or past retention).', () => sweeper().deleted);
    total('memspace_compacted_events_total', 'Change-feed events deleted by sweeps, past every feed horizon.', () => sweeper().compacted);
    total('memspace_consolidation_decayed_total', 'Memories hard-deleted by retention sweeps because their decayed importance fell under their space\'s floor.', () => sweeper().decayed);

    // Consolidation passes: per space only when per-space series are asked for, within the same cap.
    const bySpace = options.perSpace === true;
    const label = (space: string): string => this.capped(spaceKey(space));
    const passes = (): ConsolidationMeter => this.source.consolidation.meter;
    const passTotal = (name: string, help: string, pick: (t: PassTotals) => number): void => {
      new Counter({
        name,
        help,
        labelNames: bySpace ? ['space'] : [],
        registers,
        collect() {
          this.reset();
          if (!bySpace) return void this.inc(pick(passes().totals()));
          for (const [space, totals] of passes().bySpace()) this.inc({ space: label(space) }, pick(totals));
        },
      });
    };
    passTotal('memspace_consolidation_runs_total', 'Consolidation passes completed (dry runs excluded).', (t) => t.runs);
    passTotal('memspace_consolidation_merged_total', 'Memories merged away by consolidation passes.', (t) => t.merged);
    passTotal('memspace_consolidation_superseded_total', 'Memories superseded by consolidation passes.', (t) => t.superseded);
    this.passDuration = new Histogram({
      name: 'memspace_consolidation_run_duration_seconds',
      help: 'Duration of completed consolidation passes in seconds, from the first read to the last commit.',
      labelNames: bySpace ? ['space'] : [],
      buckets: PASS_BUCKETS,
      registers,
    });
    this.unlisten = [
      passes().listen((pass) => {
        const seconds = pass.durationMs / 1000;
        if (bySpace) this.passDuration.observe({ space: label(pass.space) }, seconds);
        else this.passDuration.observe(seconds);
      }),
      this.countFeedback(bySpace ? label : undefined),
    ];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts each feedback call's signals, by space too when `label` is given; returns what stops it. */
  private countFeedback(label: ((space: string) => string) | undefined): () => void {
    const signals = new Counter({
      name: 'memspace_feedback_signals_total',
      help: 'Feedback signals recorded (used, helpful, wrong; docs/feedback.md).',
      labelNames: label === undefined ? ['signal'] : ['signal', 'space'],
      registers: [this.registry],
    });
    return this.source.feedback.onSignals((space, signal, count) => signals.inc(label === undefined ? { signal } : { signal, space: label(space) }, count));
  }

  /** Records one finished request. */
  observe(request: FastifyRequest, reply: FastifyReply): void {
    const labels = { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status: String(reply.statusCode) };
    this.requests.inc(labels);
    this.duration.observe(labels, reply.elapsedTime / 1000);
    if (this.perSpace !== undefined) {
      const space = this.spaceLabel(request, reply);
      if (space !== undefined) this.perSpace.inc({ space });
    }
  }

  /** Stops observing consolidation passes and feedback (the app closes). */
  close(): void {
    for (const unlisten of this.unlisten) unlisten();
  }

  /** The metrics in Prometheus text format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * The `space` label of a request, or undefined when it does not count. Only a space the
   * request names (path, header, query or body) and its key may see counts, and not when it was
   * answered 404: unauthenticated callers, scoped keys and typos must not fill the capped label
   * set with names, nor learn through it which exist.
   */
  private spaceLabel(request: FastifyRequest, reply: FastifyReply): string | undefined {
    // Decorated as null until authentication sets it: absent for refused and public requests.
    const principal = request.principal as FastifyRequest['principal'] | null;
    if (principal === null || reply.statusCode === 404) return undefined;
    const name = namedSpace(request);
    if (name === undefined || !this.source.guard.canSeeNow(principal, name)) return undefined;
    return this.capped(spaceKey(name));
  }

  /** The `space` label of a space key: its own while fewer than `spaceCap` spaces have one, else {@link OTHER_SPACE}. */
  private capped(key: string): string {
    if (this.labelled.has(key)) return key;
    if (this.labelled.size >= this.spaceCap) return OTHER_SPACE;
    this.labelled.add(key);
    return key;
  }
}

/** The first valid space name the request gives, in the order space resolution reads them. */
function namedSpace(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body;
  const candidates = [
    params?.['space'],
    request.headers[SPACE_HEADER],
    request.headers[NAMESPACE_HEADER],
    query?.['space'],
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)['space'] : undefined,
  ];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      return validateSpaceName(candidate, { allowSystem: true });
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Counts every request of `app` and serves `GET /metrics`. The figures are process-wide and may
 * name spaces, so with authentication on only a key whose grants cover every space may read
 * them; other keys get `FORBIDDEN`, requests without a key `UNAUTHENTICATED` (from the auth hook).
 */
export function installMetrics(app: FastifyInstance, source: MetricsSource, options: MetricsOptions = {}): HttpMetrics {
  const metrics = new HttpMetrics(source, options);
  app.addHook('onResponse', async (request, reply) => metrics.observe(request, reply));
  app.addHook('onClose', async () => metrics.close());
  app.get('/metrics', async (request, reply) => {
    if (!source.guard.isOperator(request.principal)) {
      throw new MemspaceError('FORBIDDEN', 'metrics need a key whose grants cover every space');
    }
    const { contentType, body } = await metrics.text();
    return reply.type(contentType).send(body);
  });
  return metrics;
}
