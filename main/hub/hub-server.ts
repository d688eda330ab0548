import fs from 'node:fs';
import path from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { INGEST_MAX_BYTES, ingestBodySchema, loginBodySchema, targetBodySchema, type Dashboard, type UserRole } from '../../shared/contract/hub-api.js';
import { PassThrough } from 'node:stream';
import { PAGE_CSP, sendPage } from '../http/csp.js';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { createHttpApp, noRoute, type RouteInfo } from '../http/http-app.js';
import { bearer } from '../http/request-guard.js';
import { openEventStream } from '../http/sse.js';
import { parseInput } from '../http/validate.js';
import { contentTypeOf, exportFileName, writeShiftLog, type ShiftExportOptions } from '../export/export-shift.js';
import { parseCsvDialect } from '../export/shift-log-csv.js';
import type { Logger } from '../logging/logger.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { registerLoginThrottle } from './auth/login-throttle-hooks.js';
import { tokenHash } from './credentials.js';
import { registerDeadLetterRoutes } from './dead-letter-routes.js';
import { csvDialectError } from './hub-errors.js';
import { registerLibraryRoutes } from './library-routes.js';
import { HubShiftLogSource } from './hub-shift-source.js';
import type { HubStore } from './hub-store.js';
import { LiveFeed, localChanges, postgresChanges } from './live-feed.js';
import { expectedByTarget, floorTotals } from './dashboard/floor-figures.js';
import { localTimeZone, startOfLocalDay } from '../shifts/zoned-time.js';
import { normalUserName } from './auth/user-name.js';

/** The dashboard loads only its own files and talks only to its own origin. */
export const DASHBOARD_CSP = PAGE_CSP;

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
  /**
   * Host names (no port) supervisors' browsers use for the hub besides loopback and IP addresses,
   * e.g. hub.example.org behind a proxy. Default: BENCHLINE_HUB_HOSTS, comma-separated.
   */
  hostNames?: string[];
  /** Where the hub keeps files (the device library); without it the library routes are off. */
  dataDir?: string | null;
  /** Per-account login backoff (tests pass one with their own clock). */
  loginThrottle?: LoginThrottle;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: { username: string; role: UserRole };
  }
  interface FastifyInstance {
    /** Every route with its access, for the security tests. */
    hubRoutes?: RouteInfo[];
  }
}

const parse = parseInput;

/** BENCHLINE_HUB_HOSTS: comma-separated host names (`benchline hub --allowed-host` adds to them). */
export function hostNamesFromEnv(): string[] {
  return (process.env.BENCHLINE_HUB_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
}

/** Midnight of today in the hub's time zone. */
function localDayStart(now: number): number {
  return startOfLocalDay(now, localTimeZone());
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
  const rendererDir = opts.rendererDir && fs.existsSync(path.join(opts.rendererDir, 'hub.html')) ? path.resolve(opts.rendererDir) : null;
  const session = (role: UserRole) => async (req: FastifyRequest) => {
    const user = await store.session(bearer(req));
    if (!user) return new AppError('unauthorized', message('hub.login-first'));
    if (role === 'admin' && user.role !== 'admin') return new AppError('forbidden', message('hub.needs-admin', { username: user.username }));
    req.user = user;
    return null;
  };
  const { app, routes } = createHttpApp({
    logger,
    bodyLimit: 64 * 1024,
    fastify: { forceCloseConnections: true },
    defaultAccess: 'supervisor',
    authenticators: {
      supervisor: session('supervisor'),
      admin: session('admin'),
      // The station token itself is checked by the store in the same transaction as the batch.
      station: (req) => (bearer(req) ? null : new AppError('unauthorized', message('hub.station-token-missing'))),
    },
    hosts: { names: opts.hostNames ?? hostNamesFromEnv(), appOrigins: [], anyIpLiteral: true, checkPort: false, httpsOrigins: true },
    onAppError: (err, req) => {
      if (req.url.startsWith('/api/v1/ingest') && err.status < 500) logger.log('warn', `ingest refused (${err.code}): ${err.message}`);
    },
    pageFallback: (req, reply) =>
      rendererDir && req.method === 'GET' ? sendPage(reply, path.join(rendererDir, 'hub.html')) : reply.code(404).send(noRoute(req).toBody()),
  });
  app.decorate('hubRoutes', routes);

  const dashboard = async (): Promise<Dashboard> => {
    const now = Date.now();
    const windows = { onlineWindowMs, stallMs };
    const stations = await store.stationTiles(now, windows);
    const charts = await store.charts(now, localDayStart(now), stations);
    const orders = await store.orders(now);
    const dailyTarget = await store.dailyTarget();
    const targetHours = await store.targetHours();
    const tz = localTimeZone();
    const expected = (at: number) => (dailyTarget === null ? undefined : expectedByTarget(dailyTarget, targetHours, at, tz));
    return {
      serverTime: new Date(now).toISOString(),
      stallMinutes: stallMs / 60_000,
      dailyTarget,
      stations,
      ...charts,
      cumulative: { ...charts.cumulative, points: charts.cumulative.points.map((p) => ({ ...p, expected: expected(Date.parse(p.at)) })) },
      orders,
      totals: floorTotals(stations),
      stalledRuns: await store.stalledRuns(now, windows),
      targetHours,
      expectedByNow: expected(now) ?? null,
    };
  };
  const changes = opts.listenUrl ? postgresChanges(opts.listenUrl, logger) : localChanges(store);
  const live = new LiveFeed(changes, dashboard, logger, opts.live?.minIntervalMs ?? 1000, opts.live?.refreshMs ?? 10_000);
  app.addHook('onClose', async () => {
    await live.close();
  });

  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new AppError('rate_limited', message('hub.too-many-requests', { max: ctx.max, seconds: Math.max(1, Math.ceil(ctx.ttl / 1000)) })), {
        statusCode: 429,
      }),
  });
  if (opts.rendererDir && !rendererDir)
    logger.log('warn', `no dashboard build in ${opts.rendererDir} (hub.html missing); run "npm run build". The API works without it.`);
  if (rendererDir) {
    // The dashboard's files are public (the session lives in the page, never in its URL).
    await app.register(async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, access: 'public' };
      });
      await scope.register(fastifyStatic, {
        root: rendererDir,
        index: false,
        wildcard: false,
        // The renderer build also holds the technician's app, whose page makes no sense on the hub.
        allowedPath: (pathName) => pathName !== '/index.html',
        setHeaders: (res) => {
          res.header('content-security-policy', DASHBOARD_CSP);
        },
      });
    });
  }
  const publicPage = { config: { access: 'public' as const } };
  if (rendererDir) {
    app.get('/', publicPage, (_req, reply) => sendPage(reply, path.join(rendererDir, 'hub.html')));
  } else {
    app.get('/', publicPage, (_req, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send(formatMessage(message('hub.not-built'), 'en')),
    );
  }

  // Supervisor access is the default (createHttpApp): routes below name only what differs.
  const apiLimit = { rateLimit: { max: limits.apiPerMinute, timeWindow: '1 minute' } };
  registerLoginThrottle(app, opts.loginThrottle ?? new LoginThrottle(), logger);
  registerDeadLetterRoutes(app, { store, logger, config: apiLimit });
  if (opts.dataDir) registerLibraryRoutes(app, { store, logger, dataDir: opts.dataDir });

  app.get('/api/v1/health', { config: { access: 'public', anyHost: true } }, async () => ({ ok: true, version: opts.version, db: store.dialect }));

  app.post(
    '/api/v1/ingest',
    {
      bodyLimit: INGEST_MAX_BYTES,
      config: {
        access: 'station',
        anyHost: true,
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
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new AppError('unsupported_media_type', message('hub.ingest-json'));
      const body = parse(ingestBodySchema, req.body, 'Ingest body');
      const result = await store.ingest(bearer(req), body);
      if (result.warning) logger.log('warn', result.warning, { station: result.stationName });
      return { ackSeq: result.ackSeq };
    },
  );

  app.post('/api/v1/login', { config: { access: 'public', rateLimit: { max: limits.loginPerMinute, timeWindow: '1 minute' } } }, async (req, reply) => {
    const body = parse(loginBodySchema, req.body, 'Login');
    // The name as add-user stored it: "Anna  Schulz " is "Anna Schulz".
    const session = await store.login(normalUserName(body.username), body.password);
    if (!session) {
      logger.log('warn', `failed login for "${body.username.slice(0, 100)}" from ${req.ip}`);
      return reply.code(401).send(new AppError('unauthorized', message('hub.login-wrong')).toBody());
    }
    logger.log('info', `login ${body.username}`, { role: session.role });
    return { token: session.token, username: normalUserName(body.username), role: session.role, expiresAt: new Date(session.expiresAt).toISOString() };
  });

  app.post('/api/v1/logout', async (req) => {
    await store.logout(bearer(req) as string);
    return { ok: true };
  });

  app.get('/api/v1/me', { config: apiLimit }, async (req) => req.user);

  app.get('/api/v1/stations', { config: apiLimit }, async () => store.stationTiles(Date.now(), { onlineWindowMs, stallMs }));

  const summaryQuery = z
    .object({
      from: z
        .string()
        .refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 time')
        .optional(),
      to: z
        .string()
        .refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 time')
        .optional(),
    })
    .strict();
  app.get('/api/v1/summary', { config: apiLimit }, async (req) => {
    const q = parse(summaryQuery, req.query, 'Query');
    const now = Date.now();
    const from = q.from ? Date.parse(q.from) : localDayStart(now);
    const to = q.to ? Date.parse(q.to) : now;
    if (to <= from) throw new AppError('bad_request', message('hub.summary-range', { from: new Date(from).toISOString(), to: new Date(to).toISOString() }));
    return store.summary(from, to, now, { onlineWindowMs, stallMs });
  });

  app.get('/api/v1/dashboard', { config: apiLimit }, async () => dashboard());

  // The shift supervisor plans the day (issue 13): supervisors set the target, not only admins.
  app.put('/api/v1/target', { config: apiLimit }, async (req) => {
    const body = parse(targetBodySchema, req.body, 'Target');
    await store.setSetting('daily_target', body.devices === null ? null : String(body.devices));
    if (body.hours !== undefined) await store.setSetting('target_hours', body.hours);
    logger.log('info', `daily target set to ${body.devices ?? 'none'}${body.hours ? ` over ${body.hours}` : ''} by ${req.user?.username}`);
    live.markDirty();
    return { dailyTarget: body.devices, targetHours: await store.targetHours() };
  });

  // Drill-down (issue 13): a station's slots, read-only, and the shifts its export buttons offer.
  app.get<{ Params: { id: string } }>('/api/v1/stations/:id/slots', { config: apiLimit }, async (req) => {
    const slots = await store.stationSlots(req.params.id, Date.now(), { onlineWindowMs, stallMs });
    if (!slots) throw new AppError('not_found', message('hub.no-station', { stationId: req.params.id }));
    return slots;
  });

  app.get<{ Params: { id: string } }>('/api/v1/stations/:id/shifts', { config: apiLimit }, async (req) => {
    const shifts = await store.stationShifts(req.params.id);
    if (!shifts) throw new AppError('not_found', message('hub.no-station', { stationId: req.params.id }));
    return shifts;
  });

  // A station's shift log, as the station's own GET /api/v1/shifts/{id}/export writes it.
  const exportQuery = z
    .object({
      format: z.enum(['csv', 'json', 'pdf'], { message: 'format must be csv, json or pdf' }),
      dialect: z.string().optional(),
      locale: z.enum(['de', 'en']).optional(),
    })
    .strict();
  app.get<{ Params: { id: string; shiftId: string } }>('/api/v1/stations/:id/shifts/:shiftId/export', { config: apiLimit }, async (req, reply) => {
    const q = parse(exportQuery, req.query, 'Query');
    let dialect;
    try {
      dialect = parseCsvDialect(q.dialect);
    } catch (err) {
      throw csvDialectError(err);
    }
    const log = await store.shiftLog(req.params.id, req.params.shiftId);
    if (!log) throw new AppError('not_found', message('hub.no-shift', { shiftId: req.params.shiftId, stationId: req.params.id }));
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
  app.get('/api/v1/live', { config: apiLimit }, (req, reply) => {
    const token = bearer(req) as string;
    let off = () => {};
    const stream = openEventStream(req, reply, { logger, what: 'hub live', preamble: 'retry: 2000\n\n', onClose: () => off() });
    let checking = false;
    const send = (value: Dashboard) => {
      if (checking || stream.closed) return;
      checking = true;
      // A session that ended (logout, expiry, password change) ends the stream.
      void store
        .session(token)
        .then((user) => {
          if (!user) {
            stream.send('logout', {});
            stream.close();
            return;
          }
          stream.send('dashboard', value);
        })
        .catch(() => undefined)
        .finally(() => {
          checking = false;
        });
    };
    if (stream.closed) return;
    off = live.subscribe(send);
    live.markDirty();
    void dashboard()
      .then(send)
      .catch((err: Error) => logger.log('error', `live: first snapshot failed: ${err.message}`));
  });

  return app;
}
