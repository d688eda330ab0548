import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../../shared/contract/errors.js';
import { plugSimulatedParamsSchema, wsClientFrameSchema } from '../../shared/contract/station-api.js';
import type { Logger } from '../logging/logger.js';
import type { StationCore } from '../station/station-core.js';
import { tokenMatches } from './api-token.js';
import { registerFloorRoutes } from './floor-routes.js';
import { callStationMethod, toApiError } from './station-methods.js';
import { registerTestUsbRoutes } from './test-usb-routes.js';

export interface StationServerOptions {
  core: StationCore;
  token: string;
  /** The built renderer (dist/renderer); absent in API-only tests. */
  rendererDir: string | null;
  logger: Logger;
  version: string;
}

/** The renderer may load only its own files and talk only to its own origin. */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const operatorsBody = z.object({ operators: z.array(z.string().trim().min(1).max(80)).min(1).max(20) }).strict();

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

function send(reply: FastifyReply, err: unknown, logger: Logger): FastifyReply {
  const { status, error } = toApiError(err);
  if (status >= 500) logger.log('error', `API error: ${(err as Error).stack ?? String(err)}`);
  return reply.code(status).send(error.toBody());
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new ApiError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

/**
 * The station's automation API (CONTRACT.md), the renderer's WebSocket transport and the built
 * renderer, on one loopback port.
 */
export async function createStationServer(opts: StationServerOptions): Promise<FastifyInstance> {
  const { core, token, logger } = opts;
  const app = Fastify({ logger: false, bodyLimit: 1_048_576, return503OnClosing: true });

  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    if (err.statusCode === 413) return reply.code(413).send(new ApiError('payload_too_large', 'The request body is larger than 1 MB.').toBody());
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send(new ApiError('bad_request', err.message).toBody());
    return send(reply, err, logger);
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send(new ApiError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`).toBody());
    if (opts.rendererDir) return reply.header('content-security-policy', RENDERER_CSP).sendFile('index.html');
    return reply.code(404).send(new ApiError('not_found', 'Not found.').toBody());
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/') || req.url === '/api/v1/health') return;
    const presented = req.url.startsWith('/api/v1/ws') ? new URL(req.url, 'http://x').searchParams.get('token') ?? undefined : bearer(req);
    if (!tokenMatches(token, presented)) {
      return reply.code(401).send(new ApiError('unauthorized', 'Missing or wrong API token: send "Authorization: Bearer <DATA_DIR/api-token>".').toBody());
    }
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: 65_536 } });
  if (opts.rendererDir && fs.existsSync(opts.rendererDir)) {
    await app.register(fastifyStatic, {
      root: path.resolve(opts.rendererDir),
      setHeaders: (reply) => { reply.header('content-security-policy', RENDERER_CSP); },
    });
  }

  app.get('/api/v1/health', async () => ({ ok: true, version: opts.version, stationId: core.stationId }));
  await registerFloorRoutes(app, core, logger);
  app.get('/api/v1/devices', async () => core.listDevices());
  app.get('/api/v1/runs', async (req) => {
    const q = parseBody(z.object({ shift: z.string().min(1).default('current') }), req.query);
    const shift = q.shift === 'current' && !core.currentShift() ? core.resolveShift('last') : core.resolveShift(q.shift);
    return core.listRuns(shift.id);
  });
  app.get<{ Params: { runId: string } }>('/api/v1/runs/:runId', async (req) => core.runDetail(req.params.runId));
  for (const action of ['retry', 'cancel', 'skip', 'confirm'] as const) {
    app.post<{ Params: { runId: string } }>(`/api/v1/runs/:runId/${action}`, async (req) => {
      const id = req.params.runId;
      if (action === 'retry') core.retryRun(id);
      else if (action === 'cancel') core.cancelRun(id);
      else if (action === 'skip') core.skipStep(id);
      else core.confirmStep(id);
      return { ok: true };
    });
  }
  app.get('/api/v1/shifts', async () => core.listShifts());
  app.post('/api/v1/shifts', async (req, reply) => reply.code(201).send(core.openShift(parseBody(operatorsBody, req.body).operators)));
  app.post<{ Params: { id: string } }>('/api/v1/shifts/:id/close', async (req) => core.closeShift(req.params.id));
  app.post('/api/v1/simulator/devices', async (req, reply) =>
    reply.code(201).send({ serials: core.plugSimulated(parseBody(plugSimulatedParamsSchema.strict(), req.body)) }),
  );
  app.delete<{ Params: { serial: string } }>('/api/v1/simulator/devices/:serial', async (req) => {
    core.unplugSimulated(req.params.serial);
    return { ok: true };
  });
  app.post<{ Params: { serial: string } }>('/api/v1/simulator/devices/:serial/replug', async (req) => {
    core.replugSimulated(req.params.serial);
    return { ok: true };
  });

  if (core.testUsb) registerTestUsbRoutes(app, core.testUsb);

  // Server-Sent Events: every committed transition, in commit order.
  app.get('/api/v1/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': benchline station events\n\n');
    let id = 0;
    const off = core.onCommitted((t) => res.write(`id: ${++id}\nevent: transition\ndata: ${JSON.stringify(t)}\n\n`));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      off();
      clearInterval(keepAlive);
    });
  });

  // The renderer's transport in headless mode: StationApi calls and pushed events.
  app.get('/api/v1/ws', { websocket: true }, (socket) => {
    const off = core.onEvent((event) => socket.send(JSON.stringify({ kind: 'event', event })));
    socket.on('message', (data: Buffer) => {
      let frame;
      try {
        frame = wsClientFrameSchema.parse(JSON.parse(String(data)));
      } catch {
        socket.send(JSON.stringify({ kind: 'result', id: -1, ok: false, error: { code: 'bad_request', message: 'Malformed frame.' } }));
        return;
      }
      const call = frame;
      const fail = (err: unknown) => {
        const { status, error } = toApiError(err);
        if (status >= 500) logger.log('error', `ws call ${call.method} failed: ${(err as Error).stack ?? String(err)}`);
        socket.send(JSON.stringify({ kind: 'result', id: call.id, ok: false, error: error.toBody().error }));
      };
      try {
        // Most methods answer at once; printing ones (reprintLabel, printUnitLabel) return a promise.
        const result = callStationMethod(core, call.method, call.params);
        if (result instanceof Promise) {
          result.then((r: unknown) => socket.send(JSON.stringify({ kind: 'result', id: call.id, ok: true, result: r })), fail);
        } else socket.send(JSON.stringify({ kind: 'result', id: call.id, ok: true, result }));
      } catch (err) {
        fail(err);
      }
    });
    socket.on('close', off);
  });

  app.addHook('onError', async (_req, _reply, err) => {
    if (!(err as { statusCode?: number }).statusCode) logger.log('error', `request failed: ${err.stack ?? err.message}`);
  });
  return app;
}

