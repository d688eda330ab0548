import net from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { openEventStream, type EventStream } from '../../main/http/sse.js';
import type { Logger } from '../../main/logging/logger.js';

const BOUND = 64 * 1024;
const EVENT = { blob: 'x'.repeat(16 * 1024) };
let app: FastifyInstance;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await app?.close();
});

/** A server with one SSE route; resolves the stream when a client connects. */
async function serve(logger: Logger): Promise<{ port: number; next: () => Promise<EventStream> }> {
  app = Fastify();
  const waiting: ((s: EventStream) => void)[] = [];
  app.get('/events', (req, reply) => {
    const stream = openEventStream(req, reply, { logger, what: 'test events', maxBufferedBytes: BOUND });
    waiting.shift()?.(stream);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as net.AddressInfo).port;
  return { port, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

function client(port: number, read: boolean): { socket: net.Socket; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
  sockets.push(socket);
  if (read) socket.on('data', () => {});
  else socket.pause(); // never reads: the kernel buffers fill, then the server's own
  return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve())) };
}

/** Pushes events, letting the event loop flush between them, until the stream refuses one or `max` went out. */
async function push(stream: EventStream, max: number): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (!stream.send('tick', EVENT)) return i;
    await new Promise((r) => setImmediate(r));
  }
  return max;
}

it('disconnects a client that does not read once its buffer passes the bound, and says so in the log', async () => {
  const lines: string[] = [];
  const { port, next } = await serve({ log: (level, message) => lines.push(`${level} ${message}`) });
  const pending = next();
  const slow = client(port, false);
  const stream = await pending;
  // Up to 64 MB: far beyond what the kernel buffers, so only the bound can stop it.
  const sent = await push(stream, 4096);
  expect(sent).toBeLessThan(4096);
  expect(stream.closed).toBe(true);
  expect(stream.send('tick', EVENT)).toBe(false);
  slow.socket.resume();
  await slow.closed; // once it reads again it finds the server hung up
  expect(lines.some((l) => l.startsWith('warn test events: dropped a client that does not read'))).toBe(true);
});

it('keeps a client that reads, with the same traffic', async () => {
  const lines: string[] = [];
  const { port, next } = await serve({ log: (level, message) => lines.push(`${level} ${message}`) });
  const pending = next();
  client(port, true);
  const stream = await pending;
  expect(await push(stream, 300)).toBe(300);
  expect(stream.closed).toBe(false);
  expect(lines).toEqual([]);
});
