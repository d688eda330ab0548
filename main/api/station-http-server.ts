import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { stationMethods, wsClientFrameSchema } from '../../shared/contract/station-api.js';
import { createHttpApp, type RouteInfo } from '../http/http-app.js';
import { PAGE_CSP, sendPage } from '../http/csp.js';
import { bearer } from '../http/request-guard.js';
import { openEventStream } from '../http/sse.js';
import { parseInput } from '../http/validate.js';
import type { Logger } from '../logging/logger.js';
import type { StationCore } from '../station/station-core.js';
import { tokenMatches } from './api-token.js';
import { registerFloorRoutes } from './floor-routes.js';
import { registerLibraryRoutes } from './library-routes.js';
import { callMethod, callStationMethod, stationHttpError, toApiError } from './station-methods.js';
import { registerTestUsbRoutes } from './test-usb-routes.js';

export interface StationServerOptions {
  core: StationCore;
  token: string;
  /** The built renderer (dist/renderer); absent in API-only tests. */
  rendererDir: string | null;
  logger: Logger;
  version: string;
  /** Host names besides loopback and the bound address that browsers may use (the configured --host). */
  hostNames?: string[];
}

/** The renderer may load only its own files and talk only to its own origin. */
export const RENDERER_CSP = PAGE_CSP;

/** The Electron window's origin: its fetches carry it. */
export const APP_ORIGIN = 'app://station';

/** What a WebSocket client may leave unsent before it is dropped (a snapshot is tens of KB). */
const WS_MAX_BUFFERED_BYTES = 1024 * 1024;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access, for the security tests. */
    stationRoutes?: RouteInfo[];
  }
}

/** The token: "Authorization: Bearer", or ?token= on the WebSocket upgrade (a browser cannot set headers there). */
function presentedToken(req: FastifyRequest): string | undefined {
  const header = bearer(req);
  if (header || req.headers.upgrade?.toLowerCase() !== 'websocket') return header;
  return new URL(req.url, 'http://station').searchParams.get('token') ?? undefined;
}

/**
 * The station's automation API (CONTRACT.md), the renderer's WebSocket transport and the built
 * renderer, on one loopback port.
 */
export async function createStationServer(opts: StationServerOptions): Promise<FastifyInstance> {
  const { core, token, logger } = opts;
  const rendererDir = opts.rendererDir && fs.existsSync(opts.rendererDir) ? path.resolve(opts.rendererDir) : null;
  const { app, routes } = createHttpApp({
    logger,
    bodyLimit: 1_048_576,
    defaultAccess: 'token',
    authenticators: {
      token: (req) => (tokenMatches(token, presentedToken(req)) ? null : stationHttpError(new AppError('unauthorized', message('api.token')))),
    },
    hosts: { names: opts.hostNames ?? [], appOrigins: [APP_ORIGIN], anyIpLiteral: false, checkPort: true, httpsOrigins: false },
    mapError: (err) => stationHttpError(err),
    pageFallback: (_req, reply) =>
      rendererDir
        ? sendPage(reply, path.join(rendererDir, 'index.html'))
        : reply.code(404).send(new AppError('not_found', message('api.page-not-found')).toBody()),
  });
  app.decorate('stationRoutes', routes);

  await app.register(fastifyWebsocket, { options: { maxPayload: 65_536 } });
  if (rendererDir) {
    await app.register(async (scope) => {
      // The page and its files are public: the token comes with the page's URL (#token=), never in it.
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, access: 'public' };
      });
      await scope.register(fastifyStatic, {
        root: rendererDir,
        setHeaders: (reply) => {
          reply.header('content-security-policy', RENDERER_CSP);
        },
      });
    });
  }

  app.get('/api/v1/health', { config: { access: 'public' } }, async () => ({ ok: true, version: opts.version, stationId: core.stationId }));
  await registerFloorRoutes(app, core, logger);
  await registerLibraryRoutes(app, core);
  app.get('/api/v1/devices', async () => core.listDevices());
  app.get('/api/v1/runs', async (req) => {
    const q = parseInput(z.object({ shift: z.string().min(1).default('current') }), req.query, 'Query');
    const shift = q.shift === 'current' && !core.currentShift() ? core.resolveShift('last') : core.resolveShift(q.shift);
    return core.listRuns(shift.id);
  });
  app.get<{ Params: { runId: string } }>('/api/v1/runs/:runId', async (req) => callMethod(core, 'runDetail', req.params));
  const runActions = { retry: 'retryRun', cancel: 'cancelRun', skip: 'skipStep', confirm: 'confirmStep' } as const;
  for (const [action, method] of Object.entries(runActions)) {
    app.post<{ Params: { runId: string } }>(`/api/v1/runs/:runId/${action}`, async (req) => callMethod(core, method, req.params));
  }
  app.get('/api/v1/shifts', async () => core.listShifts());
  app.post('/api/v1/shifts', async (req, reply) =>
    reply.code(201).send(await callMethod(core, 'openShift', parseInput(stationMethods.openShift.params.strict(), req.body, 'Body'))),
  );
  app.post<{ Params: { id: string } }>('/api/v1/shifts/:id/close', async (req) => callMethod(core, 'closeShift', { shiftId: req.params.id }));
  app.post('/api/v1/simulator/devices', async (req, reply) =>
    reply.code(201).send(await callMethod(core, 'plugSimulated', parseInput(stationMethods.plugSimulated.params.strict(), req.body, 'Body'))),
  );
  app.delete<{ Params: { serial: string } }>('/api/v1/simulator/devices/:serial', async (req) => callMethod(core, 'unplugSimulated', req.params));
  app.post<{ Params: { serial: string } }>('/api/v1/simulator/devices/:serial/replug', async (req) => callMethod(core, 'replugSimulated', req.params));
  // A technician's "new device" on a fixed serial cable: the port is asked who is there now.
  app.post('/api/v1/ports/reidentify', async (req) =>
    callMethod(core, 'reidentifyPort', parseInput(stationMethods.reidentifyPort.params.strict(), req.body, 'Body')),
  );

  if (core.testUsb) registerTestUsbRoutes(app, core.testUsb);

  // Server-Sent Events: every committed transition, in commit order; a client that stops reading is dropped.
  app.get('/api/v1/events', (req, reply) => {
    let off = () => {};
    const stream = openEventStream(req, reply, { logger, what: 'station events', preamble: ': benchline station events\n\n', onClose: () => off() });
    if (!stream.closed) off = core.onCommitted((t) => stream.send('transition', t));
  });

  // The renderer's transport in headless mode: StationApi calls and pushed events.
  app.get('/api/v1/ws', { websocket: true }, (socket) => {
    const send = (frame: unknown) => {
      if (socket.bufferedAmount > WS_MAX_BUFFERED_BYTES) {
        logger.log('warn', `websocket: dropped a client that does not read (${socket.bufferedAmount} bytes waiting)`);
        socket.terminate();
        return;
      }
      socket.send(JSON.stringify(frame));
    };
    const off = core.onEvent((event) => send({ kind: 'event', event }));
    socket.on('message', (data: Buffer) => {
      let call;
      try {
        call = wsClientFrameSchema.parse(JSON.parse(String(data)));
      } catch {
        send({ kind: 'result', id: -1, ok: false, error: new AppError('bad_request', message('api.malformed-frame')).toBody().error });
        return;
      }
      const id = call.id;
      const method = call.method;
      const fail = (err: unknown) => {
        const { status, error } = toApiError(err);
        if (status >= 500) logger.log('error', `ws call ${method} failed: ${(err as Error).stack ?? String(err)}`);
        send({ kind: 'result', id, ok: false, error: error.toBody().error });
      };
      try {
        // Most methods answer at once; printing ones (reprintLabel, printUnitLabel) return a promise.
        Promise.resolve(callStationMethod(core, method, call.params)).then((result) => send({ kind: 'result', id, ok: true, result }), fail);
      } catch (err) {
        fail(err);
      }
    });
    socket.on('close', off);
  });

  return app;
}
