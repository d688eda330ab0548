import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../../logging/logger.js';
import { AppError } from '../../../shared/contract/errors.js';
import { message } from '../../../shared/messages/catalogue.js';
import type { LoginThrottle } from './login-throttle.js';

const LOGIN_URL = '/api/v1/login';

function loginName(req: FastifyRequest): string | null {
  if (req.method !== 'POST' || req.routeOptions.url !== LOGIN_URL) return null;
  const name = (req.body as { username?: unknown } | null)?.username;
  return typeof name === 'string' && name.length > 0 ? name.slice(0, 100) : null;
}

/**
 * Puts the per-account login throttle in front of POST /api/v1/login (the per-address limit runs
 * before it). Every try counts as a failure until the login answers 200, so tries sent in parallel
 * cannot slip past the count while their passwords are being checked.
 */
export function registerLoginThrottle(app: FastifyInstance, throttle: LoginThrottle, logger: Logger): void {
  app.addHook('preHandler', async (req, reply) => {
    const name = loginName(req);
    if (name === null) return;
    const wait = throttle.waitMs(name, req.ip);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      logger.log('warn', `login for "${name}" from ${req.ip} held back ${seconds} s after repeated failures`);
      return reply
        .code(429)
        .header('retry-after', String(seconds))
        .send(new AppError('rate_limited', message('hub.login-backoff', { seconds })).toBody());
    }
    throttle.failed(name, req.ip);
  });
  app.addHook('onResponse', async (req, reply) => {
    const name = loginName(req);
    if (name !== null && reply.statusCode === 200) throttle.succeeded(name, req.ip);
  });
}
