import fs from 'node:fs';
import path from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  INGEST_MAX_BYTES,
  ingestBodySchema,
  loginBodySchema,
  targetBodySchema,
  type Dashboard,
  type UserRole,
} from '../../shared/contract/hub-api.js';
import { PassThrough } from 'node:stream';
import { contentTypeOf, exportFileName, writeShiftLog, type ShiftExportOptions } from '../export/export-shift.js';
import { parseCsvDialect } from '../export/shift-log-csv.js';
import type { Logger } from '../logging/logger.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { registerLoginThrottle } from './auth/login-throttle-hooks.js';
import { tokenHash } from './credentials.js';
import { registerDeadLetterRoutes } from './dead-letter-routes.js';
import { HubError } from './hub-errors.js';
import { HubShiftLogSource } from './hub-shift-source.js';
import type { HubStore } from './hub-store.js';
import { LiveFeed, localChanges, postgresChanges } from './live-feed.js';

/** The dashboard loads only its own files and talks only to its own origin. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export interface HubLimits {
  /** Requests per station token per minute on /ingest. */
  ingestPerMinute: number;
  /** Login attempts per client address per minute. */
  loginPerMinute: number;
  /** Supervisor requests per client address per minute. */
  apiPerMinute: number;
}

export const DEFAULT_LIMITS: HubLimits = { ingestPerMinute: 600, loginPerMinute: 10, apiPerMinute: 1200 };

export interface HubServerOptions {
  store: HubStore;
  logger: Logger;
  version: string;
  /** The built renderer (dist/renderer with hub.html); null in API-only tests. */
  rendererDir: string | null;
  /** A run unchanged for this long counts as stalled. */
  stallMinutes?: number;
  /** A station heard from within this window is online (its sender sends a heartbeat every 10 s). */
  onlineWindowMs?: number;
  limits?: Partial<HubLimits>;
  /** PostgreSQL connection string for LISTEN; without it live updates come from this instance only. */
  listenUrl?: string | null;
  /** Live pushes: at most one per minIntervalMs, one at least every refreshMs. */
  live?: { minIntervalMs: number; refreshMs: number };
  /** Per-account login backoff (tests pass one with their own clock). */
  loginThrottle?: LoginThrottle;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: { username: string; role: UserRole };
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new HubError(
      'bad_request',
      `${what}: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

function localDayStart(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/**
 * The hub: stations push their outbox to /api/v1/ingest, supervisors log in and read the stations,
 * the summary and the live feed, and the dashboard is served at /. Every instance keeps nothing
 * but caches; with PostgreSQL several run side by side.
 */
export async function createHubServer(opts: HubServerOptions): Promise<FastifyInstance> {
  const { store, logger } = opts;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const stallMs = (opts.stallMinutes ?? 10) * 60_000;
  const onlineWindowMs = opts.onlineWindowMs ?? 30_000;
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, return503OnClosing: true, forceCloseConnections: true });

  const dashboard = async (): Promise<Dashboard> => {
    const now = Date.now();
    const stations = await store.stationTiles(now, { onlineWindowMs, stallMs });
    const charts = await store.charts(now, localDayStart(now), stations);
    const orders = await store.orders(now);
    return { serverTime: new Date(now).toISOString(), stallMinutes: stallMs / 60_000, dailyTarget: await store.dailyTarget(), stations, ...charts, orders };
  };
  const changes = opts.listenUrl ? postgresChanges(opts.listenUrl, logger) : localChanges(store);
  const live = new LiveFeed(changes, dashboard, logger, opts.live?.minIntervalMs ?? 1000, opts.live?.refreshMs ?? 10_000);
  app.addHook('onClose', async () => {
    await live.close();
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof HubError) {
      if (req.url.startsWith('/api/v1/ingest')) logger.log('warn', `ingest refused (${err.code}): ${err.message}`);
      return reply.code(err.status).send(err.toBody());
    }
    const status = err.statusCode ?? 500;
    let e: HubError;
    if (status === 413) e = new HubError('payload_too_large', `The request body is larger than this endpoint takes (${req.url.startsWith('/api/v1/ingest') ? INGEST_MAX_BYTES : 65_536} bytes); send smaller batches.`);
    else if (status === 415) e = new HubError('unsupported_media_type', 'Send the body as application/json.');
    else if (status === 429) e = new HubError('rate_limited', err.message);
    else if (status >= 400 && status < 500) e = new HubError('bad_request', err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? `Malformed JSON: ${err.message}` : err.message);
    else {
      logger.log('error', `request ${req.method} ${req.url.split('?')[0]} failed: ${err.stack ?? err.message}`);
      e = new HubError('internal', 'The hub hit an internal error; it is in the hub log.');
    }
    if (status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
    return reply.code(e.status).send(e.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send(new HubError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`).toBody());
    if (opts.rendererDir && req.method === 'GET') return reply.header('content-security-policy', DASHBOARD_CSP).sendFile('hub.html');
    return reply.code(404).send(new HubError('not_found', 'Not found.').toBody());
  });

  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => Object.assign(new HubError('rate_limited', `Too many requests: at most ${ctx.max} per ${ctx.after === '1 minute' ? 'minute' : 'minute'}; retry in ${ctx.after}.`), { statusCode: 429 }),
  });
  const rendererDir = opts.rendererDir && fs.existsSync(path.join(opts.rendererDir, 'hub.html')) ? path.resolve(opts.rendererDir) : null;
  if (opts.rendererDir && !rendererDir) logger.log('warn', `no dashboard build in ${opts.rendererDir} (hub.html missing); run "npm run build". The API works without it.`);
  if (rendererDir) {
    await app.register(fastifyStatic, {
      root: rendererDir,
      index: false,
      wildcard: false,
      // The renderer build also holds the technician's app, whose page makes no sense on the hub.
      allowedPath: (pathName) => pathName !== '/index.html',
      setHeaders: (res) => {
        res.header('content-security-policy', DASHBOARD_CSP);
      },
    });
  }
  if (rendererDir) {
    app.get('/', (_req, reply) => reply.header('content-security-policy', DASHBOARD_CSP).sendFile('hub.html'));
  } else {
    app.get('/', (_req, reply) => reply.code(503).type('text/plain').send('The dashboard is not built: run "npm run build" and restart the hub. The API is at /api/v1/.'));
  }

  const requireRole = (role: UserRole) => async (req: FastifyRequest, reply: FastifyReply) => {
    const user = await store.session(bearer(req));
    if (!user) {
      return reply.code(401).send(new HubError('unauthorized', 'Log in first: POST /api/v1/login, then send "Authorization: Bearer <token>".').toBody());
    }
    if (role === 'admin' && user.role !== 'admin') {
      return reply.code(403).send(new HubError('forbidden', `${user.username} is a supervisor; this needs an admin.`).toBody());
    }
    req.user = user;
  };
  const supervisor = requireRole('supervisor');
  const admin = requireRole('admin');
  const apiLimit = { rateLimit: { max: limits.apiPerMinute, timeWindow: '1 minute' } };
  registerLoginThrottle(app, opts.loginThrottle ?? new LoginThrottle(), logger);
  registerDeadLetterRoutes(app, { store, logger, onRequest: supervisor, config: apiLimit });

  app.get('/api/v1/health', async () => ({ ok: true, version: opts.version, db: store.dialect }));

  app.post(
    '/api/v1/ingest',
    {
      bodyLimit: INGEST_MAX_BYTES,
      config: {
        rateLimit: {
          max: limits.ingestPerMinute,
          timeWindow: '1 minute',
          keyGenerator: (req: FastifyRequest) => {
            const t = bearer(req);
            return t ? `station:${tokenHash(t).slice(0, 32)}` : `ip:${req.ip}`;
          },
        },
      },
    },
    async (req) => {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HubError('unsupported_media_type', 'Send the batch as application/json.');
      const body = parse(ingestBodySchema, req.body, 'Ingest body');
      const result = await store.ingest(bearer(req), body);
      if (result.warning) logger.log('warn', result.warning, { station: result.stationName });
      return { ackSeq: result.ackSeq };
    },
  );

  app.post('/api/v1/login', { config: { rateLimit: { max: limits.loginPerMinute, timeWindow: '1 minute' } } }, async (req, reply) => {
    const body = parse(loginBodySchema, req.body, 'Login');
    const session = await store.login(body.username, body.password);
    if (!session) {
      logger.log('warn', `failed login for "${body.username.slice(0, 100)}" from ${req.ip}`);
      return reply.code(401).send(new HubError('unauthorized', 'Wrong user name or password.').toBody());
    }
    logger.log('info', `login ${body.username}`, { role: session.role });
    return { token: session.token, username: body.username, role: session.role, expiresAt: new Date(session.expiresAt).toISOString() };
  });

  app.post('/api/v1/logout', { onRequest: supervisor }, async (req) => {
    await store.logout(bearer(req) as string);
    return { ok: true };
  });

  app.get('/api/v1/me', { onRequest: supervisor, config: apiLimit }, async (req) => req.user);

  app.get('/api/v1/stations', { onRequest: supervisor, config: apiLimit }, async () =>
    store.stationTiles(Date.now(), { onlineWindowMs, stallMs }),
  );

  const summaryQuery = z
    .object({
      from: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 time').optional(),
      to: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 time').optional(),
    })
    .strict();
  app.get('/api/v1/summary', { onRequest: supervisor, config: apiLimit }, async (req) => {
    const q = parse(summaryQuery, req.query, 'Query');
    const now = Date.now();
    const from = q.from ? Date.parse(q.from) : localDayStart(now);
    const to = q.to ? Date.parse(q.to) : now;
    if (to <= from) throw new HubError('bad_request', `"to" (${q.to ?? 'now'}) must be after "from" (${q.from ?? 'today 00:00'}).`);
    return store.summary(from, to, now, { onlineWindowMs, stallMs });
  });

  app.get('/api/v1/dashboard', { onRequest: supervisor, config: apiLimit }, async () => dashboard());

  app.put('/api/v1/target', { onRequest: admin, config: apiLimit }, async (req) => {
    const body = parse(targetBodySchema, req.body, 'Target');
    await store.setSetting('daily_target', body.devices === null ? null : String(body.devices));
    logger.log('info', `daily target set to ${body.devices ?? 'none'} by ${req.user?.username}`);
    live.markDirty();
    return { dailyTarget: body.devices };
  });

  // A station's shift log, as the station's own GET /api/v1/shifts/{id}/export writes it.
  const exportQuery = z
    .object({
      format: z.enum(['csv', 'json', 'pdf'], { message: 'format must be csv, json or pdf' }),
      dialect: z.string().optional(),
      locale: z.enum(['de', 'en']).optional(),
    })
    .strict();
  app.get<{ Params: { id: string; shiftId: string } }>('/api/v1/stations/:id/shifts/:shiftId/export', { onRequest: supervisor, config: apiLimit }, async (req, reply) => {
    const q = parse(exportQuery, req.query, 'Query');
    let dialect;
    try {
      dialect = parseCsvDialect(q.dialect);
    } catch (err) {
      throw new HubError('bad_request', (err as Error).message);
    }
    const log = await store.shiftLog(req.params.id, req.params.shiftId);
    if (!log) throw new HubError('not_found', `The hub has no shift ${req.params.shiftId} of station ${req.params.id}.`);
    const opts: ShiftExportOptions = { format: q.format, dialect, locale: q.locale ?? 'de' };
    const body = new PassThrough();
    writeShiftLog(new HubShiftLogSource(log), body, opts).catch((err: unknown) => {
      logger.log('error', `export of shift ${req.params.shiftId} failed while streaming: ${(err as Error).stack ?? String(err)}`);
      body.destroy(err as Error);
    });
    reply.type(contentTypeOf(opts));
    reply.header('content-disposition', `attachment; filename="${exportFileName(req.params.shiftId, opts)}"`);
    return reply.send(body);
  });

  // Server-Sent Events: the dashboard as it changes. Read with fetch (the session goes in the header).
  app.get('/api/v1/live', { onRequest: supervisor, config: apiLimit }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const token = bearer(req) as string;
    let id = 0;
    let checking = false;
    const send = (value: Dashboard) => {
      if (checking) return;
      checking = true;
      // A session that ended (logout, expiry, password change) ends the stream.
      void store
        .session(token)
        .then((user) => {
          if (!user) {
            res.write(`event: logout\ndata: {}\n\n`);
            res.end();
            return;
          }
          res.write(`id: ${++id}\nevent: dashboard\ndata: ${JSON.stringify(value)}\n\n`);
        })
        .catch(() => undefined)
        .finally(() => {
          checking = false;
        });
    };
    const off = live.subscribe(send);
    live.markDirty();
    void dashboard()
      .then(send)
      .catch((err: Error) => logger.log('error', `live: first snapshot failed: ${err.message}`));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      off();
      clearInterval(keepAlive);
    });
  });

  return app;
}
