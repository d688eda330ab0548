import { posix } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../logging/logger.js';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { formatBytes } from './http-error.js';
import { tooDeep } from './json-depth.js';
import { RequestGuard, type HostPolicy } from './request-guard.js';

/**
 * Who may call a route. Deny by default: a route that does not name its access gets the server's
 * `defaultAccess`, so a new route needs the token unless it says `public` out loud.
 */
export type RouteAccess = 'public' | 'token' | 'station' | 'supervisor' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Machine-to-machine routes (hub ingest, health) that proxies reach under other names. */
    anyHost?: boolean;
  }
}

/** Checks a request for one kind of access; answers the refusal, or null to let it through. */
export type Authenticator = (req: FastifyRequest) => AppError | null | Promise<AppError | null>;

export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess;
  anyHost: boolean;
  websocket: boolean;
}

export interface HttpAppOptions {
  logger: Logger;
  /** The default body limit; routes may set their own (the 413 names the route's). */
  bodyLimit: number;
  authenticators: Partial<Record<Exclude<RouteAccess, 'public'>, Authenticator>>;
  defaultAccess: Exclude<RouteAccess, 'public'>;
  hosts: HostPolicy;
  /**
   * Maps error classes of a server that are not yet AppErrors to one; null for anything it does not
   * know. AppErrors (status from ERROR_TABLE) need no mapping.
   */
  mapError?: (err: unknown, req: FastifyRequest) => AppError | null;
  /** Sees every AppError a route answers with (the hub logs refused ingests). */
  onAppError?: (err: AppError, req: FastifyRequest) => void;
  /** What a client gets for an unknown path outside /api/ (a page, or 404). */
  pageFallback: (req: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>;
  /** Extra Fastify options (e.g. forceCloseConnections). */
  fastify?: { forceCloseConnections?: boolean };
}

export interface HttpApp {
  app: FastifyInstance;
  /** Every route as registered, with its effective access: what the security tests walk. */
  routes: RouteInfo[];
}

const MAX_JSON_DEPTH = 64;

/** The path as the router would see it, decoded and tidied, to tell API paths from page paths. */
function looksLikeApi(url: string): boolean {
  let p = url.split('?')[0]!;
  for (let i = 0; i < 3; i++) {
    try {
      const d = decodeURIComponent(p);
      if (d === p) break;
      p = d;
    } catch {
      break;
    }
  }
  return /^\/api(\/|$)/i.test(posix.normalize(p.replace(/\\/g, '/')));
}

/** The 404 for a path no route serves. */
export function noRoute(req: FastifyRequest): AppError {
  return new AppError('not_found', message('http.no-route', { method: req.method, path: req.url.split('?')[0]!.slice(0, 200) }));
}

/**
 * One HTTP layer for the station and the hub: Host/Origin guard, route-level authentication,
 * JSON parsing with a depth limit, the error shape and the 404s. Routes are added by the caller.
 */
export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const { logger } = opts;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: opts.fastify?.forceCloseConnections ?? 'idle',
  });
  const routes: RouteInfo[] = [];
  const guard = new RequestGuard(opts.hosts, () => {
    const a = app.server.address();
    return a && typeof a === 'object' ? { address: a.address, port: a.port } : null;
  });

  app.addHook('onRoute', (route) => {
    // Read when asked, not now: hooks of inner scopes (the page's files) set their access after this one.
    const accessOf = (): RouteAccess => route.config?.access ?? opts.defaultAccess;
    for (const method of [route.method].flat()) {
      routes.push({
        method,
        url: route.url,
        get access() {
          return accessOf();
        },
        anyHost: route.config?.anyHost === true,
        websocket: (route as { websocket?: boolean }).websocket === true,
      });
    }
  });
  app.addHook('onReady', async () => {
    for (const r of routes) {
      if (r.access !== 'public' && !opts.authenticators[r.access])
        throw new Error(`route ${r.method} ${r.url} asks for "${r.access}" access, which this server does not have`);
    }
  });

  /** Sends a refusal; a refused WebSocket upgrade also loses its socket (nothing else would ever close it). */
  const refuse = (req: FastifyRequest, reply: FastifyReply, err: AppError) => {
    if (req.headers.upgrade) {
      reply.header('connection', 'close');
      reply.raw.once('finish', () => req.socket.destroy());
    }
    return reply.code(err.status).send(err.toBody());
  };

  app.addHook('onRequest', async (req, reply) => {
    const config = req.is404 ? undefined : req.routeOptions.config;
    if (!config?.anyHost) {
      const refused = guard.check(req);
      if (refused) return refuse(req, reply, refused);
    }
    // A path that decodes to /api/... is never public by way of a catch-all (the page's "/*" or a 404):
    // only an /api route that says public is.
    const apiRoute = !req.is404 && req.routeOptions.url?.startsWith('/api/') === true;
    const access: RouteAccess = looksLikeApi(req.url) && !apiRoute ? opts.defaultAccess : req.is404 ? 'public' : (config?.access ?? opts.defaultAccess);
    if (access === 'public') return;
    const refused = await opts.authenticators[access]!(req);
    if (refused) return refuse(req, reply, refused);
  });

  // JSON with a nesting limit: deep nesting is an attack, not data, and must not reach the stack.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (tooDeep(text, MAX_JSON_DEPTH)) return done(new AppError('bad_request', message('http.json-too-deep', { depth: MAX_JSON_DEPTH })), undefined);
    // Called with `done`, the parser reports through it; the promise in its declared return type is for the callback-less form.
    void defaultJson(req, text, done);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const e = toAppError(err, req);
    opts.onAppError?.(e, req);
    if (e.status >= 500) logger.log('error', `request ${req.method} ${req.url.split('?')[0]} failed: ${err.stack ?? err.message}`);
    if (e.status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
    return reply.code(e.status).send(e.toBody());
  });

  function toAppError(err: Error & { statusCode?: number; code?: string }, req: FastifyRequest): AppError {
    if (err instanceof AppError) return err;
    const mapped = opts.mapError?.(err, req);
    if (mapped) return mapped;
    const status = err.statusCode ?? 500;
    if (status === 413) {
      const limit = req.routeOptions.bodyLimit ?? opts.bodyLimit;
      return new AppError('payload_too_large', message('http.body-too-large', { limit: formatBytes(limit) }));
    }
    if (status === 415)
      return new AppError('unsupported_media_type', message('http.media-type', { contentType: String(req.headers['content-type'] ?? '').slice(0, 100) }));
    if (status === 429) return new AppError('rate_limited', message('http.rate-limited'));
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
      return new AppError('bad_request', message('http.malformed-json', { detail: err.message }));
    if (status === 403) return new AppError('forbidden', message('http.path-refused', { detail: err.message }));
    if (status === 404) return new AppError('not_found', message('http.not-found', { detail: err.message }));
    if (status >= 400 && status < 500) return new AppError('bad_request', message('http.bad-request', { detail: err.message }));
    return new AppError('internal', message('http.internal'));
  }

  app.setNotFoundHandler((req, reply) => {
    if (looksLikeApi(req.url) || (req.method !== 'GET' && req.method !== 'HEAD')) return reply.code(404).send(noRoute(req).toBody());
    return opts.pageFallback(req, reply);
  });

  return { app, routes };
}
