import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { parseInput } from '../http/validate.js';
import { testUsbDeviceSchema, type TestUsbBackend } from '../drivers/usb/test-usb-backend.js';

function loopback(req: FastifyRequest): void {
  const a = req.socket.remoteAddress ?? '';
  if (a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1') return;
  throw new AppError('unauthorized', message('api.usb-test-loopback'));
}

/**
 * Plug and unplug devices of the loopback USB test source (BENCHLINE_TEST_USB=1): what the
 * end-to-end tests use instead of hands and cables. Registered only when that source is on; like
 * every API route it needs the station's token, and it refuses anything but loopback.
 */
export function registerTestUsbRoutes(app: FastifyInstance, backend: TestUsbBackend): void {
  app.get('/api/v1/test/usb/devices', async (req) => {
    loopback(req);
    return backend.list();
  });
  app.post('/api/v1/test/usb/devices', async (req, reply) => {
    loopback(req);
    backend.plug(parseInput(testUsbDeviceSchema, req.body, 'Body'));
    return reply.code(201).send({ ok: true });
  });
  app.delete<{ Params: { portPath: string } }>('/api/v1/test/usb/devices/:portPath', async (req) => {
    loopback(req);
    if (!backend.unplug(req.params.portPath)) throw new AppError('not_found', message('api.usb-test-empty', { port: req.params.portPath }));
    return { ok: true };
  });
}
