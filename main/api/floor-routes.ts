import { formatMessage } from '../../shared/messages/format.js';
import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import { PassThrough, type Writable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { contentTypeOf, exportFileName, writeShiftLog, type ShiftExportOptions } from '../export/export-shift.js';
import { writeQuarantineCsv } from '../export/quarantine-csv.js';
import { parseCsvDialect } from '../export/shift-log-csv.js';
import type { Logger } from '../logging/logger.js';
import type { StationCore } from '../station/station-core.js';
import { writeManifestCsv, writeManifestPdf } from '../units/unit-manifest.js';
import { parseInput } from '../http/validate.js';
import { stationLanguage } from '../store/station-language.js';
import { callMethod } from './station-methods.js';

/** Order files can be large (11,000 serials is ~0.8 MB); the rest of the API keeps its 1 MB limit. */
export const ORDER_IMPORT_LIMIT = 20_000_000;

const reasonBody = z.object({ reason: z.string().trim().min(3).max(500) });

const exportQuery = z.object({
  format: z.enum(['csv', 'json', 'pdf'], { message: 'format must be csv, json or pdf' }),
  dialect: z.string().optional(),
  locale: z.enum(['de', 'en']).optional(),
});

/** Streams what `write` produces as the response; a failure after the first byte ends the download short (and is logged). */
function stream(
  reply: FastifyReply,
  logger: Logger,
  what: string,
  contentType: string,
  fileName: string | null,
  write: (out: Writable) => Promise<void>,
): FastifyReply {
  const body = new PassThrough();
  write(body).catch((err: unknown) => {
    logger.log('error', `${what} failed while streaming: ${(err as Error).stack ?? String(err)}`);
    body.destroy(err as Error);
  });
  reply.type(contentType);
  if (fileName) reply.header('content-disposition', `attachment; filename="${fileName}"`);
  return reply.send(body);
}

/**
 * The HTTP routes of issue 5: shift export, order import, goods receipt, units, labels, quarantine.
 * Routes that are StationApi methods go through callMethod, so REST, IPC and WebSocket validate
 * and behave alike; exports and downloads stream and have no method.
 */
export async function registerFloorRoutes(app: FastifyInstance, core: StationCore, logger: Logger): Promise<void> {
  const { shifts, receipt, packing } = core;

  app.get<{ Params: { id: string } }>('/api/v1/shifts/:id/export', async (req, reply) => {
    const q = parseInput(exportQuery, req.query, 'Query');
    let dialect;
    try {
      dialect = parseCsvDialect(q.dialect);
    } catch (err) {
      throw new AppError('bad_request', message('api.invalid-params', { method: 'export', issues: (err as Error).message }));
    }
    const shift = core.resolveShift(req.params.id);
    const opts: ShiftExportOptions = { format: q.format, dialect, locale: q.locale ?? stationLanguage(core.store) };
    const source = shifts.shiftLogSource(shift);
    return stream(reply, logger, `export of shift ${shift.id}`, contentTypeOf(opts), exportFileName(shift.id, opts), (out) => writeShiftLog(source, out, opts));
  });

  // Order import: text/csv (or the raw bytes of the file); the report names every bad line.
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      ['text/csv', 'text/plain', 'application/octet-stream'],
      { parseAs: 'buffer', bodyLimit: ORDER_IMPORT_LIMIT },
      (_req, body, done) => done(null, body),
    );
    scope.post('/api/v1/orders/import', { bodyLimit: ORDER_IMPORT_LIMIT }, async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw new AppError('bad_request', message('order-file.body'));
      const fileName = typeof req.headers['x-file-name'] === 'string' ? req.headers['x-file-name'].slice(0, 255) : null;
      const report = receipt.importOrders(req.body, fileName);
      if (report.ok) return reply.code(200).send(report);
      return reply.code(422).send({
        error: invalidFileError(report.issues.length),
        report,
      });
    });
  });
  app.get('/api/v1/orders', async () => callMethod(core, 'listOrders', {}));
  app.post('/api/v1/orders/receipts', async (req, reply) => reply.code(201).send(await callMethod(core, 'receiveSerial', req.body)));
  app.get('/api/v1/settings/current-batch', async () => ({ batch: await callMethod(core, 'currentBatch', {}) }));
  app.put('/api/v1/settings/current-batch', async (req) => ({ batch: await callMethod(core, 'setCurrentBatch', req.body) }));
  app.post<{ Params: { serial: string } }>('/api/v1/devices/:serial/assign', async (req) =>
    callMethod(core, 'assignDevice', {
      serial: req.params.serial,
      orderId: parseInput(z.object({ orderId: z.string().min(1).max(64) }), req.body, 'Body').orderId,
    }),
  );

  // operators and shift schedule
  app.post('/api/v1/operators/sign-in', async (req) => callMethod(core, 'signIn', req.body));
  app.post('/api/v1/operators/sign-out', async (req) => callMethod(core, 'signOut', req.body));
  // FLOOR-TECH (issue 13): whether devices run while nobody is signed in ("wait" or "run").
  app.get('/api/v1/settings/sign-in-policy', async () => ({ policy: core.floorState().signInPolicy }));
  app.put('/api/v1/settings/sign-in-policy', async (req) => ({ policy: (await callMethod(core, 'setSignInPolicy', req.body)).signInPolicy }));
  app.get('/api/v1/settings/shift-schedule', async () => callMethod(core, 'shiftSchedule', {}));
  app.put('/api/v1/settings/shift-schedule', async (req) => callMethod(core, 'setShiftSchedule', req.body));

  // labels
  app.get('/api/v1/settings/label-printer', async () => callMethod(core, 'labelSettings', {}));
  app.put('/api/v1/settings/label-printer', async (req) => callMethod(core, 'setLabelPrinter', req.body));
  app.get<{ Params: { template: string } }>('/api/v1/labels/:template/preview', async (req, reply) => {
    const q = parseInput(z.object({ runId: z.string().min(1).max(100).optional(), format: z.enum(['svg', 'zpl']).default('svg') }), req.query, 'Query');
    const out = await callMethod(core, 'labelPreview', { template: req.params.template, runId: q.runId });
    return q.format === 'zpl' ? reply.type('text/plain; charset=utf-8').send(out.zpl) : reply.type('image/svg+xml').send(out.svg);
  });
  app.post<{ Params: { runId: string } }>('/api/v1/runs/:runId/label', async (req) => callMethod(core, 'reprintLabel', req.params));

  // packing units
  app.get('/api/v1/units', async (req) => callMethod(core, 'listUnits', req.query));
  app.post('/api/v1/units', async (req, reply) => reply.code(201).send(await callMethod(core, 'createUnit', req.body)));
  app.get<{ Params: { id: string } }>('/api/v1/units/:id', async (req) => callMethod(core, 'unitDetail', { unitId: req.params.id }));
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/devices', async (req, reply) => {
    const serial = parseInput(z.object({ serial: z.string().trim().min(1).max(64) }), req.body, 'Body').serial;
    const r = await callMethod(core, 'packDevice', { unitId: req.params.id, serial });
    if (r.ok) return reply.code(r.already ? 200 : 201).send(r);
    return reply.code(409).send({ error: { code: r.code, message: r.message, text: r.text } });
  });
  app.post<{ Params: { id: string; serial: string } }>('/api/v1/units/:id/devices/:serial/remove', async (req) =>
    callMethod(core, 'unpackDevice', { unitId: req.params.id, serial: req.params.serial, reason: parseInput(reasonBody, req.body, 'Body').reason }),
  );
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/close', async (req) => callMethod(core, 'closeUnit', { unitId: req.params.id }));
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/reopen', async (req) =>
    callMethod(core, 'reopenUnit', { unitId: req.params.id, reason: parseInput(reasonBody, req.body, 'Body').reason }),
  );
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/label', async (req) => callMethod(core, 'printUnitLabel', { unitId: req.params.id }));
  app.get<{ Params: { id: string } }>('/api/v1/units/:id/manifest', async (req, reply) => {
    const q = parseInput(z.object({ format: z.enum(['csv', 'pdf']).default('pdf'), dialect: z.string().optional() }), req.query, 'Query');
    const { unit, items } = packing.unitDetail(req.params.id);
    const dialect = parseCsvDialect(q.dialect);
    return q.format === 'csv'
      ? stream(reply, logger, `manifest ${unit.id}`, 'text/csv; charset=utf-8', `packliste-${unit.id}.csv`, (out) =>
          writeManifestCsv(unit, items, out, dialect),
        )
      : stream(reply, logger, `manifest ${unit.id}`, 'application/pdf', `packliste-${unit.id}.pdf`, (out) => writeManifestPdf(unit, items, out));
  });

  // quarantine / returns
  app.get('/api/v1/quarantine', async (req, reply) => {
    const q = parseInput(
      z.object({ format: z.enum(['json', 'csv']).default('json'), dialect: z.string().optional(), all: z.enum(['0', '1']).optional() }),
      req.query,
      'Query',
    );
    const list = await callMethod(core, 'listQuarantine', { includeReleased: q.all === '1' });
    if (q.format === 'json') return list;
    const dialect = parseCsvDialect(q.dialect);
    return stream(reply, logger, 'quarantine list', 'text/csv; charset=utf-8', 'quarantaene.csv', (out) => writeQuarantineCsv(list, out, dialect));
  });
  app.post<{ Params: { serial: string } }>('/api/v1/devices/:serial/quarantine', async (req, reply) =>
    reply.code(201).send(await callMethod(core, 'quarantineDevice', { serial: req.params.serial, reason: parseInput(reasonBody, req.body, 'Body').reason })),
  );
  app.post<{ Params: { serial: string } }>('/api/v1/devices/:serial/release', async (req) =>
    callMethod(core, 'releaseQuarantine', {
      serial: req.params.serial,
      note: parseInput(z.object({ note: z.string().trim().min(3).max(500) }), req.body, 'Body').note,
    }),
  );
}

/** The 422 answer's error: the wire code `invalid_file` (CONTRACT.md) with the count in the catalogue's words. */
function invalidFileError(count: number) {
  const text = message('order-file.invalid', { count });
  return { code: 'invalid_file', message: formatMessage(text, 'en'), text };
}
