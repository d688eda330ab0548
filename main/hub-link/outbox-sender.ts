// Over 400 lines: the send loop, its request, acknowledgement and failure handling share the link state; the dead-letter protocol is in hub-dead-letters.ts.
import { ingestResponseSchema, type IngestBody } from '../../shared/contract/hub-api.js';
import { parseOutboxEvent } from '../../shared/contract/outbox-events.js';
import { isFinishedResult } from '../../shared/contract/run-state.js';
import type { HubLinkView } from '../../shared/contract/station-api.js';
import { stripControl } from '../../shared/contract/text.js';
import type { Logger } from '../logging/logger.js';
import type { DeadLetterRecord } from '../store/dead-letter-store.js';
import { BAD_BATCH_STATUSES, deadLetterOf, parseRejection, type DeadLetterSink, type RejectedEvent } from './hub-dead-letters.js';
import type { OutboxRecord } from '../store/records.js';
import { backoffDelay } from '../../shared/backoff.js';

/** What the sender needs from the station's store: the durable outbox. */
export interface OutboxSource {
  outboxAfter(seq: number, limit: number): OutboxRecord[];
  deleteOutboxUpTo(seq: number): void;
  /** Lowest and highest seq still waiting, how many, and the highest seq ever written. */
  outboxState(): { first: number | null; last: number | null; count: number; lastWritten: number };
  /** What the station knows of a device, sent along so the hub's export names family, model and OS like the station's. */
  getDevice?(serial: string): { family: string; model: string; osVersion: string | null } | null;
}

/** The link's state as the station snapshot shows it (lastAckSeq: the highest seq the hub acknowledged to this process). */
export type HubLinkStatus = HubLinkView;
export type HubLinkState = HubLinkView['state'];

export type { DeadLetterSink };

export interface OutboxSenderOptions {
  source: OutboxSource;
  deadLetters: DeadLetterSink;
  stationId: string;
  hubUrl: string;
  token: string;
  logger: Logger;
  version?: string;
  /** The station's own name, sent once per start (the header of its shift export). */
  stationName?: () => string;
  /** The station's orders now; sent when they changed since the hub last took them. */
  orders?: () => NonNullable<IngestBody['orders']>;
  /** Records per request; halved when the hub says the body is too large. */
  batchSize?: number;
  /** Backoff: the first retry waits up to minDelayMs, doubling per failure, at most maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Waits this long after new records appear, so a burst goes as one batch. */
  lingerMs?: number;
  /** Looks at the outbox this often when idle (shift records come without a notify). */
  pollMs?: number;
  /** Sends an empty batch this often when there is nothing to send, so the hub sees the station is online. */
  heartbeatMs?: number;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
}

/** While online, the link's state goes to the station log this often. */
const STATUS_LOG_MS = 10 * 60_000;

class HubRefusedError extends Error {
  override name = 'HubRefusedError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs: number | null,
    /** The records of the refused request. */
    readonly batch: readonly OutboxRecord[],
  ) {
    super(message);
  }
}

/**
 * Sends the station's outbox to the hub: batches in seq order, one request at a time. Records are
 * deleted only up to the seq the hub acknowledges, so a lost answer, a restart or a hub that is
 * down for a day repeats records but never loses one; the hub ignores the repeats. Failures back
 * off exponentially with full jitter, so a hundred stations do not return all at once.
 */
export class OutboxSender {
  private readonly o: Required<Omit<OutboxSenderOptions, 'version' | 'stationName' | 'orders'>> &
    Pick<OutboxSenderOptions, 'version' | 'stationName' | 'orders'>;
  private nameSent = false;
  private ordersSent: string | null = null;
  private ordersSentAt = 0;
  private ordersCheckedAt = Number.NEGATIVE_INFINITY;
  private readonly endpoint: string;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private abort: AbortController | null = null;
  private failures = 0;
  private batchSize: number;
  /** While looking for the event that makes the hub refuse a batch: the halved batch size. */
  private probeSize: number | null = null;
  private lastRequestAt = 0;
  private lastStatusLog = 0;
  private readonly listeners = new Set<(s: HubLinkStatus) => void>();
  private readonly cleanups: (() => void)[] = [];
  private current: HubLinkStatus;

  constructor(options: OutboxSenderOptions) {
    this.o = {
      batchSize: 200,
      minDelayMs: 1000,
      maxDelayMs: 60_000,
      lingerMs: 200,
      pollMs: 1000,
      heartbeatMs: 10_000,
      requestTimeoutMs: 15_000,
      fetch: globalThis.fetch.bind(globalThis),
      now: Date.now,
      random: Math.random,
      ...options,
      version: options.version,
      stationName: options.stationName,
      orders: options.orders,
    };
    this.batchSize = this.o.batchSize;
    this.endpoint = new URL('api/v1/ingest', options.hubUrl.endsWith('/') ? options.hubUrl : `${options.hubUrl}/`).toString();
    this.current = {
      state: 'starting',
      hub: options.hubUrl,
      lastAckSeq: null,
      lastAckAt: null,
      backlog: 0,
      lastError: null,
      nextAttemptAt: null,
      deadLetters: 0,
    };
  }

  status(): HubLinkStatus {
    return { ...this.current, backlog: this.o.source.outboxState().count, deadLetters: this.o.deadLetters.count() };
  }

  onStatus(listener: (s: HubLinkStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.o.logger.log('info', `reporting to hub ${this.o.hubUrl}`, { backlog: this.o.source.outboxState().count });
    this.loop = this.run();
  }

  /** New outbox records were committed: send them soon. */
  notify(): void {
    if (this.wake && this.current.state !== 'offline' && this.current.state !== 'rejected') {
      // A short linger gathers a burst of transitions into one batch.
      const wake = this.wake;
      this.wake = null;
      setTimeout(wake, this.o.lingerMs);
    }
  }

  /** Runs fn when the sender stops (unsubscribing from the core). */
  onStop(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Stops after the request in flight is answered or aborted; unsent records stay in the outbox. */
  async stop(): Promise<void> {
    for (const fn of this.cleanups.splice(0)) fn();
    if (!this.running) return;
    this.running = false;
    this.abort?.abort();
    this.interrupt();
    await this.loop;
    this.setStatus({ state: 'stopped', nextAttemptAt: null });
  }

  private interrupt(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = null;
        this.wake = null;
        resolve();
      }, ms);
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      const state = this.o.source.outboxState();
      const records = this.o.source.outboxAfter(0, Math.min(this.batchSize, this.probeSize ?? this.batchSize));
      const heartbeatDue = this.o.now() - this.lastRequestAt >= this.o.heartbeatMs;
      if (records.length === 0 && !heartbeatDue) {
        await this.sleep(this.o.pollMs);
        continue;
      }
      try {
        await this.send(records, state);
        this.failures = 0;
        if (this.current.state !== 'online') {
          this.o.logger.log('info', `hub ${this.o.hubUrl} reachable: reporting`, {
            backlog: this.o.source.outboxState().count,
            ackSeq: this.current.lastAckSeq,
          });
        }
        this.setStatus({ state: 'online', lastError: null, nextAttemptAt: null });
        if (this.o.now() - this.lastStatusLog >= STATUS_LOG_MS) {
          this.lastStatusLog = this.o.now();
          const s = this.status();
          this.o.logger.log('info', `hub link online: last ack seq ${s.lastAckSeq ?? '-'} at ${s.lastAckAt ?? '-'}, ${s.backlog} records waiting`, {
            hub: this.o.hubUrl,
          });
        }
        // More waiting: go on at once; otherwise idle until notified or polled.
        if (this.o.source.outboxState().count === 0) await this.sleep(this.o.pollMs);
      } catch (err) {
        if (!this.running) break;
        await this.failed(err);
      }
    }
  }

  private async send(records: OutboxRecord[], state: ReturnType<OutboxSource['outboxState']>): Promise<void> {
    // Everything below the lowest record still here was acknowledged before (by this hub or an earlier one).
    const acked = state.first === null ? state.lastWritten : state.first - 1;
    const events = records.map((r) => ({ seq: r.seq, kind: r.kind, at: r.createdAt, payload: JSON.parse(r.payload) as Record<string, unknown> }));
    const name = !this.nameSent && this.o.stationName ? this.o.stationName() : undefined;
    const devices = this.devicesOf(events);
    const orders = this.ordersToSend();
    const body: IngestBody = {
      stationId: this.o.stationId,
      acked,
      sentAt: new Date(this.o.now()).toISOString(),
      backlog: Math.max(0, state.count - records.length),
      events,
      ...(this.o.version ? { version: this.o.version } : {}),
      ...(name ? { name } : {}),
      ...(devices.length > 0 ? { devices } : {}),
      ...(orders ? { orders: orders.list } : {}),
    };
    this.abort = new AbortController();
    const timeout = setTimeout(() => this.abort?.abort(), this.o.requestTimeoutMs);
    this.lastRequestAt = this.o.now();
    let res: Response;
    try {
      res = await this.o.fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.token}` },
        body: JSON.stringify(body),
        signal: this.abort.signal,
      });
    } finally {
      clearTimeout(timeout);
      this.abort = null;
    }
    const text = await res.text();
    const rejection = res.status === 422 ? parseRejection(text) : null;
    if (!res.ok && !rejection) {
      let code = 'http_' + res.status;
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = parsed.error?.code ?? code;
        message = parsed.error?.message ?? message;
      } catch {
        // not JSON: a proxy's page; keep the text
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new HubRefusedError(
        res.status,
        stripControl(code),
        stripControl(message),
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
        records,
      );
    }
    let ackSeq: number;
    if (rejection) ackSeq = rejection.ackSeq;
    else {
      const ack = ingestResponseSchema.safeParse(JSON.parse(text));
      if (!ack.success) throw new Error(`hub answered without an ackSeq: ${stripControl(text.slice(0, 200))}`);
      ackSeq = ack.data.ackSeq;
    }
    // Never delete past what this station has written: a larger ack means the hub counts another station's stream.
    const upTo = Math.min(ackSeq, state.lastWritten);
    if (ackSeq > state.lastWritten) {
      this.o.logger.log(
        'warn',
        `hub acknowledged seq ${ackSeq}, but this station has written only up to ${state.lastWritten}; is its token used by another station?`,
      );
    }
    const letters = rejection ? this.lettersOf(rejection.rejected, records, upTo) : [];
    if (letters.length > 0) this.o.deadLetters.record(letters, upTo);
    else if (upTo > 0) this.o.source.deleteOutboxUpTo(upTo);
    const acknowledged = records.filter((r) => r.seq <= upTo).length;
    if (records.length > 0 && acknowledged === 0) {
      throw new Error(`hub acknowledged only up to seq ${ackSeq}, below the batch ${records[0]?.seq}..${records.at(-1)?.seq} it was sent; it keeps a gap`);
    }
    if (name) this.nameSent = true;
    if (orders) {
      this.ordersSent = orders.key;
      this.ordersSentAt = this.o.now();
    }
    this.setStatus({ lastAckSeq: ackSeq, lastAckAt: new Date(this.o.now()).toISOString() });
  }

  /** The hub's refused events as dead letters, each logged; only those of this batch it acknowledged. */
  private lettersOf(rejected: readonly RejectedEvent[], records: readonly OutboxRecord[], upTo: number): DeadLetterRecord[] {
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const rejectedAt = new Date(this.o.now()).toISOString();
    const letters: DeadLetterRecord[] = [];
    for (const r of rejected) {
      const record = bySeq.get(r.seq);
      if (!record || r.seq > upTo) {
        this.o.logger.log('warn', `hub refused seq ${r.seq}, which was not in the batch it acknowledged; ignored`, { hub: this.o.hubUrl });
        continue;
      }
      const letter = { ...deadLetterOf(record, r.code, r.message, rejectedAt), source: 'hub' as const };
      this.o.logger.log(
        'error',
        `hub refused event seq ${r.seq} (${record.kind}) for good: ${letter.code}: ${letter.message}; kept as a dead letter, later events go on`,
        { hub: this.o.hubUrl },
      );
      letters.push(letter);
    }
    return letters;
  }

  /**
   * The hub refused a batch (400/422 without naming events). Halves the batch until the one event
   * it refuses is alone, then files that event as a dead letter here, so it stops holding up the
   * rest. The hub never stored it: it will show a gap at that seq.
   */
  private refusedBatch(refused: HubRefusedError): boolean {
    if (!BAD_BATCH_STATUSES.has(refused.status) || refused.batch.length === 0) return false;
    if (refused.batch.length > 1) {
      this.probeSize = Math.max(1, Math.floor(refused.batch.length / 2));
      this.o.logger.log(
        'warn',
        `hub refused a batch of ${refused.batch.length} events (${refused.status} ${refused.code}): ${refused.message}; trying ${this.probeSize} at a time to find the event it refuses`,
        { hub: this.o.hubUrl },
      );
      return true;
    }
    const record = refused.batch[0]!;
    const letter = { ...deadLetterOf(record, refused.code, refused.message, new Date(this.o.now()).toISOString()), source: 'station' as const };
    this.o.deadLetters.record([letter], record.seq);
    this.probeSize = null;
    this.o.logger.log(
      'error',
      `hub refused event seq ${record.seq} (${record.kind}) alone (${refused.status} ${letter.code}): ${letter.message}; kept as a dead letter on this station, later events go on`,
      { hub: this.o.hubUrl },
    );
    this.o.logger.log(
      'warn',
      `the hub never stored event seq ${record.seq}: it will show a gap there; the event is in this station's dead letters (benchline export --dead-letters)`,
      { hub: this.o.hubUrl },
    );
    return true;
  }

  /** The order snapshot when it changed (looked at every 5 s at most), and every 5 minutes anyway. */
  private ordersToSend(): { list: NonNullable<IngestBody['orders']>; key: string } | null {
    if (!this.o.orders) return null;
    const now = this.o.now();
    if (now - this.ordersCheckedAt < 5000) return null;
    this.ordersCheckedAt = now;
    let list: NonNullable<IngestBody['orders']>;
    try {
      list = this.o.orders();
    } catch (err) {
      this.o.logger.log('warn', `order progress for the hub not available: ${(err as Error).message}`);
      return null;
    }
    const key = JSON.stringify(list);
    if (key === this.ordersSent && now - this.ordersSentAt < 300_000) return null;
    return { list, key };
  }

  /** Devices of runs that begin or end in this batch: enough for the hub to name them in its export. */
  private devicesOf(events: IngestBody['events']): NonNullable<IngestBody['devices']> {
    if (!this.o.source.getDevice) return [];
    const serials = new Set<string>();
    for (const e of events) {
      const parsed = parseOutboxEvent(e.kind, e.payload);
      if (!parsed.known || !parsed.ok || parsed.event.type !== 'run.transition') continue;
      const { run, events: steps } = parsed.event;
      if (isFinishedResult(run.state) || steps.some((x) => x.kind === 'created')) serials.add(run.serial);
    }
    const out: NonNullable<IngestBody['devices']> = [];
    for (const serial of serials) {
      const d = this.o.source.getDevice(serial);
      if (d) out.push({ serial, family: d.family, model: d.model, osVersion: d.osVersion });
    }
    return out;
  }

  private async failed(err: unknown): Promise<void> {
    this.failures += 1;
    const refused = err instanceof HubRefusedError ? err : null;
    let state: HubLinkState = 'offline';
    // Full jitter; a Retry-After from the hub is the least we wait.
    const backoff = { baseMs: this.o.minDelayMs, maxMs: this.o.maxDelayMs, jitter: 'full', random: this.o.random } as const;
    let delay = backoffDelay(this.failures, backoff);
    if (refused && this.refusedBatch(refused)) {
      // Not a failure of the link: go on at once with the smaller batch, or the events after the dead letter.
      this.failures = 0;
      this.setStatus({ deadLetters: this.o.deadLetters.count() });
      return;
    }
    if (refused?.status === 413 && this.batchSize > 1) {
      this.batchSize = Math.max(1, Math.floor(this.batchSize / 2));
      delay = 0;
    } else if (refused && refused.status >= 400 && refused.status < 500 && refused.status !== 408 && refused.status !== 429) {
      // Wrong token, a batch the hub refuses: nothing changes by retrying soon; an admin has to act.
      state = 'rejected';
      delay = backoffDelay(1, { ...backoff, baseMs: this.o.maxDelayMs });
    }
    if (refused?.retryAfterMs) delay = Math.max(delay, refused.retryAfterMs);
    const message = refused ? `hub refused the batch (${refused.status} ${refused.code}): ${refused.message}` : `hub not reachable: ${describe(err)}`;
    const changed = this.current.state !== state || this.current.lastError !== message;
    this.setStatus({ state, lastError: message, nextAttemptAt: new Date(this.o.now() + delay).toISOString() });
    if (changed) {
      this.o.logger.log(
        state === 'rejected' ? 'error' : 'warn',
        `${message}; outbox keeps ${this.o.source.outboxState().count} records, retrying in ${Math.round(delay / 1000)} s`,
        {
          hub: this.o.hubUrl,
          failures: this.failures,
        },
      );
    }
    await this.sleep(delay);
  }

  private setStatus(patch: Partial<HubLinkStatus>): void {
    this.current = { ...this.current, ...patch };
    const status = this.status();
    for (const l of this.listeners) l(status);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    if (err.name === 'AbortError') return 'no answer in time';
    return cause?.code ? `${err.message} (${cause.code})` : err.message;
  }
  return String(err);
}

/** Where a station reports: --hub and --hub-token. */
export interface HubLink {
  url: string;
  token: string;
}
