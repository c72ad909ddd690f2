/**
 * Requests of the soak run, with what it reports about them: the latency of every answer by
 * operation, answers by error code, and requests that got no answer at all (the server down, a
 * connection cut by the kill), which are sent again until one comes.
 */
import { performance } from 'node:perf_hooks';

/** Longest one attempt may take before it counts as unanswered. */
const ATTEMPT_TIMEOUT_MS = 30_000;
/** Longest a request is retried without an answer before the run gives it up (and fails). */
const GIVE_UP_MS = 120_000;

/** What a request came to. */
export interface Answer {
  status: number;
  /** The parsed JSON body; undefined when empty or not JSON. */
  body: unknown;
  /** `error.code` of an error body. */
  code: string | undefined;
  /**
   * Attempts sent, this one included. More than one means an earlier attempt got no answer: it
   * may have been carried out all the same, so a write may meet its own earlier effect
   * (`CONFLICT` on an add, `NOT_FOUND` on a delete).
   */
  attempts: number;
}

/** Figures of one operation. */
export interface OpRecord {
  latenciesMs: number[];
  /** Answers by status and code, e.g. `201`, `409 CONFLICT`. */
  answers: Map<string, number>;
  /** Attempts without an answer, by reason: `NETWORK` or `TIMEOUT`. */
  unanswered: Map<string, number>;
}

/** The HTTP side of the soak run: one key, one server address, figures per operation. */
export class SoakHttp {
  private readonly ops = new Map<string, OpRecord>();

  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    /** Where an unexpected answer is reported. */
    private readonly fail: (message: string) => void,
  ) {}

  /**
   * Sends a request, again and again while it gets no answer (waiting 200 ms between
   * attempts), and returns the first answer. Only answered attempts have a latency.
   */
  async send(op: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const record = this.record(op);
    const started = performance.now();
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const at = performance.now();
      try {
        const response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.key}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
          ...(body !== undefined && { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
        const text = await response.text();
        record.latenciesMs.push(performance.now() - at);
        const parsed = parseJson(text);
        const code = errorCode(parsed);
        const label = code === undefined ? String(response.status) : `${response.status} ${code}`;
        record.answers.set(label, (record.answers.get(label) ?? 0) + 1);
        return { status: response.status, body: parsed, code, attempts };
      } catch (error) {
        const reason = error instanceof Error && error.name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK';
        record.unanswered.set(reason, (record.unanswered.get(reason) ?? 0) + 1);
        if (performance.now() - started > GIVE_UP_MS) {
          throw new Error(`${op} ${method} ${path}: no answer after ${((performance.now() - started) / 1000).toFixed(0)} s (${describe(error)})`);
        }
        await sleep(200);
      }
    }
  }

  /**
   * Whether `answer` is one of `expected`, each a status (`201`) or a status with its error
   * code (`409 CONFLICT`); records a failure when it is not.
   */
  expect(op: string, answer: Answer, ...expected: string[]): boolean {
    const label = answer.code === undefined ? String(answer.status) : `${answer.status} ${answer.code}`;
    if (expected.includes(label)) return true;
    this.fail(`${op}: answered ${label}${answer.attempts > 1 ? ` (attempt ${answer.attempts})` : ''}, expected ${expected.join(' or ')}: ${JSON.stringify(answer.body)?.slice(0, 300)}`);
    return false;
  }

  /** The figures of every operation so far. */
  figures(): Map<string, OpRecord> {
    return this.ops;
  }

  private record(op: string): OpRecord {
    let record = this.ops.get(op);
    if (record === undefined) {
      record = { latenciesMs: [], answers: new Map(), unanswered: new Map() };
      this.ops.set(op, record);
    }
    return record;
  }
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorCode(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
