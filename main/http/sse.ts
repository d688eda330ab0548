import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logging/logger.js';

/**
 * What one client may have waiting in this process before it counts as not reading. A dashboard
 * push is tens of KB and a station transition below 1 KB, so a reading client never gets near it;
 * 100 stalled clients hold at most 25 MB between them.
 */
export const SSE_MAX_BUFFERED_BYTES = 256 * 1024;

export interface EventStreamOptions {
  logger: Logger;
  /** Names the stream in log lines ("station events", "hub live"). */
  what: string;
  maxBufferedBytes?: number;
  keepAliveMs?: number;
  /** Sent first: a comment line, or "retry: N" for the client's reconnect delay. */
  preamble?: string;
  /** Called once when the stream ends for any reason: client gone, dropped, closed by us. */
  onClose?: () => void;
}

export interface EventStream {
  /** Queues one event; false when the stream is closed (or was just dropped for not reading). */
  send(event: string, data: unknown): boolean;
  /** Ends the stream from our side. */
  close(): void;
  readonly closed: boolean;
}

/**
 * Server-Sent Events with backpressure, for both servers: every write first checks what the
 * client has not taken yet; past `maxBufferedBytes` the client is disconnected (and logged), so a
 * client that never reads costs a bounded amount of memory and nothing once it is gone.
 */
export function openEventStream(req: FastifyRequest, reply: FastifyReply, opts: EventStreamOptions): EventStream {
  const max = opts.maxBufferedBytes ?? SSE_MAX_BUFFERED_BYTES;
  reply.hijack();
  const res: ServerResponse = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let closed = false;
  let id = 0;
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    opts.onClose?.();
  };
  const write = (chunk: string): boolean => {
    if (closed) return false;
    if (res.writableLength + Buffer.byteLength(chunk) > max) {
      opts.logger.log('warn', `${opts.what}: dropped a client that does not read (${res.writableLength} bytes waiting, limit ${max})`, { client: req.ip });
      finish();
      res.destroy();
      return false;
    }
    res.write(chunk);
    return true;
  };
  const keepAlive = setInterval(() => write(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000);
  keepAlive.unref();
  // The response closes when the connection does, whoever ends it.
  res.on('close', finish);
  write(opts.preamble ?? ': connected\n\n');
  return {
    send: (event, data) => write(`id: ${++id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    close: () => {
      if (closed) return;
      finish();
      res.end();
    },
    get closed() {
      return closed;
    },
  };
}
