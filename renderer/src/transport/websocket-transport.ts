import { wsServerFrameSchema } from '../../../shared/contract/station-api.js';
import { TransportError, type ConnectionState, type Transport } from './transport.js';
import { backoffDelay } from '../../../shared/backoff.js';

export interface WebSocketTransportOptions {
  url: string | null;
  /** Backoff between reconnect attempts: doubles from min to max, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  callTimeoutMs?: number;
  /** For tests: a WebSocket constructor. */
  WebSocketImpl?: typeof WebSocket;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The headless station's transport: one WebSocket to /api/v1/ws, reopened with backoff whenever it
 * drops (the station restarting, a reload of the core). Calls made while it is down fail at once
 * with `disconnected`, so the UI never waits on a dead socket.
 */
export class WebSocketTransport implements Transport {
  readonly kind = 'websocket' as const;
  private socket: WebSocket | null = null;
  private state: ConnectionState;
  private nextId = 1;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: unknown) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly callTimeout: number;
  private readonly WS: typeof WebSocket;

  constructor(private readonly opts: WebSocketTransportOptions) {
    this.minDelay = opts.minDelayMs ?? 250;
    this.maxDelay = opts.maxDelayMs ?? 5000;
    this.callTimeout = opts.callTimeoutMs ?? 15_000;
    this.WS = opts.WebSocketImpl ?? WebSocket;
    this.state = opts.url ? 'connecting' : 'no-token';
    if (opts.url) this.open();
  }

  get connection(): ConnectionState {
    return this.state;
  }

  call(method: string, params: unknown): Promise<unknown> {
    const socket = this.socket;
    if (this.state !== 'online' || !socket || socket.readyState !== this.WS.OPEN) {
      return Promise.reject(new TransportError('disconnected', 'Not connected to the station.'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TransportError('timeout', `The station did not answer "${method}" in time.`));
      }, this.callTimeout);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ kind: 'call', id, method, params }));
    });
  }

  onEvent(listener: (event: unknown) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.state);
    return () => this.connectionListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
    this.failPending();
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.connectionListeners) l(state);
  }

  private open(): void {
    if (this.closed || !this.opts.url) return;
    let socket: WebSocket;
    try {
      socket = new this.WS(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.setState('online');
    };
    socket.onmessage = (msg: MessageEvent) => this.receive(msg.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPending();
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and handles it.
    };
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.setState('reconnecting');
    this.attempt++;
    const delay = backoffDelay(this.attempt, { baseMs: this.minDelay, maxMs: this.maxDelay, jitter: 'half' });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private failPending(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new TransportError('disconnected', 'The connection to the station was lost.'));
      this.pending.delete(id);
    }
  }

  private receive(data: unknown): void {
    let frame;
    try {
      frame = wsServerFrameSchema.parse(JSON.parse(String(data)));
    } catch {
      console.warn('benchline: refused a frame outside the contract');
      return;
    }
    if (frame.kind === 'event') {
      for (const l of this.eventListeners) l(frame.event);
      return;
    }
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    this.pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.result);
    else pending.reject(new TransportError('remote', frame.error.message, frame.error.code, frame.error.text ?? null));
  }
}

/** The WebSocket address of the page's own station, or null without a token. */
export function stationSocketUrl(location: Location, token: string | null): string | null {
  if (!token) return null;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/ws?token=${encodeURIComponent(token)}`;
}
