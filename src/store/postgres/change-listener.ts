import pg from 'pg';
import type { ChangeBell } from '../../core/change-bell.js';
import { CHANGES_CHANNEL } from './space-tx.js';

/** Options of {@link ChangeListener.start}. */
export interface ChangeListenerOptions {
  /** Connection string of the database the servers share. */
  url: string;
  /** Rung with the space id of every notification, and for every space after a reconnect. */
  bell: ChangeBell;
  /** First wait before reconnecting a lost connection, doubled up to `maxRetryMs`. @default 250 */
  retryMs?: number;
  /** @default 10000 */
  maxRetryMs?: number;
}

/**
 * One dedicated connection per server that LISTENs on {@link CHANGES_CHANNEL}, so a change
 * stream served here wakes when another server commits to its space. Notifications are only a
 * wake-up: while the connection is down readers fall back to polling the feed, and once it is
 * back every reader is woken to catch up on what it may have missed.
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private connects = 0;

  private constructor(private readonly options: ChangeListenerOptions) {
    this.retryMs = options.retryMs ?? 250;
  }

  /**
   * Starts listening. Resolves once the first connection listens, or after its first failure
   * (it keeps retrying in the background: a server serves without wake-ups rather than not at all).
   */
  static async start(options: ChangeListenerOptions): Promise<ChangeListener> {
    const listener = new ChangeListener(options);
    await listener.connect();
    return listener;
  }

  /** True while the connection is up and listening. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** How many times a connection has started listening (1 after start, +1 per reconnect). */
  get connections(): number {
    return this.connects;
  }

  /** The backend process id of the listening connection (tests terminate it to exercise reconnects). */
  async backendPid(): Promise<number | undefined> {
    return (await this.client?.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))?.rows[0]?.pid;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
    client.on('notification', (n) => {
      if (n.channel === CHANGES_CHANNEL && n.payload) this.options.bell.ring(n.payload);
    });
    // 'error' comes before 'end' on a broken connection; both lead to one reconnect.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch {
      this.lost(client);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connects += 1;
    this.retryMs = this.options.retryMs ?? 250;
    // Whatever was committed while nobody listened: every reader re-reads its feed.
    if (this.connects > 1) this.options.bell.ringAll();
  }

  private lost(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    else if (this.client !== undefined || this.retryTimer !== undefined) return; // already handled
    client.end().catch(() => undefined);
    if (this.stopped) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(wait * 2, this.options.maxRetryMs ?? 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, wait);
    this.retryTimer.unref();
  }
}
