import pg from 'pg';
import type { Logger } from '../logging/logger.js';
import type { HubStore } from './hub-store.js';
import { HUB_CHANNEL } from './ingest/ingest-writer.js';
import { backoffDelay } from '../../shared/backoff.js';

/**
 * "Something changed" for the dashboards connected to this hub instance. With SQLite there is one
 * instance and the store tells it directly. With PostgreSQL every instance LISTENs on one channel
 * and every ingest NOTIFYs in its transaction, so a batch taken by one instance behind the load
 * balancer updates the dashboards connected to all of them.
 */
export interface ChangeSource {
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}

export function localChanges(store: HubStore): ChangeSource {
  const listeners = new Set<() => void>();
  const off = store.onCommitted(() => {
    for (const l of listeners) l();
  });
  return {
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      off();
    },
  };
}

/** LISTEN on a dedicated connection; reconnects with backoff when the database goes away. */
export function postgresChanges(connectionString: string, logger: Logger): ChangeSource {
  const listeners = new Set<() => void>();
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let failures = 0;

  const emit = () => {
    for (const l of listeners) l();
  };
  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString });
    c.on('notification', (msg) => {
      if (msg.channel === HUB_CHANNEL) emit();
    });
    c.on('error', (err) => {
      logger.log('warn', `live updates: lost the PostgreSQL LISTEN connection (${err.message}); reconnecting`);
      schedule();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${HUB_CHANNEL}`);
      client = c;
      if (failures > 0) logger.log('info', 'live updates: listening again');
      failures = 0;
      // Whatever happened while we were not listening is picked up with a full refresh.
      emit();
    } catch (err) {
      await c.end().catch(() => undefined);
      logger.log('warn', `live updates: cannot LISTEN on PostgreSQL (${(err as Error).message}); retrying`);
      schedule();
    }
  };
  const schedule = () => {
    if (closed || retry) return;
    const old = client;
    client = null;
    void old?.end().catch(() => undefined);
    failures += 1;
    const delay = backoffDelay(failures + 1, { baseMs: 500, maxMs: 30_000, jitter: 'half' });
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, delay);
  };
  void connect();
  return {
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * Pushes one computed snapshot to every subscriber: at most once per `minIntervalMs` while things
 * change, and every `refreshMs` regardless (online turns offline and runs become stalled without
 * any event). The snapshot is computed once per push, however many dashboards are connected.
 */
export class LiveFeed<T> {
  private readonly subscribers = new Set<(value: T) => void>();
  private dirty = true;
  private timer: NodeJS.Timeout | null = null;
  private lastPush = 0;
  private computing = false;
  private readonly offChanges: () => void;

  constructor(
    private readonly changes: ChangeSource,
    private readonly compute: () => Promise<T>,
    private readonly logger: Logger,
    private readonly minIntervalMs = 1000,
    private readonly refreshMs = 10_000,
  ) {
    this.offChanges = changes.onChange(() => this.markDirty());
  }

  subscribe(send: (value: T) => void): () => void {
    this.subscribers.add(send);
    this.ensureTimer();
    return () => {
      this.subscribers.delete(send);
      if (this.subscribers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  markDirty(): void {
    this.dirty = true;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.offChanges();
    this.subscribers.clear();
    await this.changes.close();
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), Math.min(250, this.minIntervalMs));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    if (this.computing || this.subscribers.size === 0) return;
    const due = (this.dirty && now - this.lastPush >= this.minIntervalMs) || now - this.lastPush >= this.refreshMs;
    if (!due) return;
    this.computing = true;
    this.dirty = false;
    try {
      const value = await this.compute();
      this.lastPush = Date.now();
      for (const s of [...this.subscribers]) s(value);
    } catch (err) {
      this.dirty = true;
      this.logger.log('error', `live update failed: ${(err as Error).message}`);
    } finally {
      this.computing = false;
    }
  }
}
