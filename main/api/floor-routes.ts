import { PassThrough, type Writable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../../shared/contract/errors.js';
import { floorMethods } from '../../shared/contract/floor-api.js';
import { contentTypeOf, exportFileName, writeShiftLog, type ShiftExportOptions } from '../export/export-shift.js';
import { writeQuarantineCsv } from '../export/quarantine-csv.js';
import { parseCsvDialect } from '../export/shift-log-csv.js';
import type { Logger } from '../logging/logger.js';
import type { StationCore } from '../station/station-core.js';
import { writeManifestCsv, writeManifestPdf } from '../units/unit-manifest.js';

/** Order files can be large (11,000 serials is ~0.8 MB); the rest of the API keeps its 1 MB limit. */
export const ORDER_IMPORT_LIMIT = 20_000_000;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new ApiError('bad_request', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const exportQuery = z.object({
  format: z.enum(['csv', 'json', 'pdf'], { message: 'format must be csv, json or pdf' }),
  dialect: z.string().optional(),
  locale: z.enum(['de', 'en']).optional(),
});

/** Streams what `write` produces as the response; a failure after the first byte ends the download short (and is logged). */
function stream(reply: FastifyReply, logger: Logger, what: string, contentType: string, fileName: string | null, write: (out: Writable) => Promise<void>): FastifyReply {
  const body = new PassThrough();
  write(body).catch((err: unknown) => {
    logger.log('error', `${what} failed while streaming: ${(err as Error).stack ?? String(err)}`);
    body.destroy(err as Error);
  });
  reply.type(contentType);
  if (fileName) reply.header('content-disposition', `attachment; filename="${fileName}"`);
  return reply.send(body);
}

/** The HTTP routes of issue 5: shift export, order import, goods receipt, units, labels, quarantine. */
export async function registerFloorRoutes(app: FastifyInstance, core: StationCore, logger: Logger): Promise<void> {
  const { operators, shifts, receipt, assignment, labels, packing, quarantine } = core;

  app.get<{ Params: { id: string } }>('/api/v1/shifts/:id/export', async (req, reply) => {
    const q = parse(exportQuery, req.query);
    let dialect;
    try {
      dialect = parseCsvDialect(q.dialect);
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
    const shift = core.resolveShift(req.params.id);
    const opts: ShiftExportOptions = { format: q.format, dialect, locale: q.locale ?? 'de' };
    const source = shifts.shiftLogSource(shift);
    return stream(reply, logger, `export of shift ${shift.id}`, contentTypeOf(opts), exportFileName(shift.id, opts), (out) => writeShiftLog(source, out, opts));
  });

  // Order import: text/csv (or the raw bytes of the file); the report names every bad line.
  await app.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'text/plain', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: ORDER_IMPORT_LIMIT }, (_req, body, done) => done(null, body));
    scope.post('/api/v1/orders/import', { bodyLimit: ORDER_IMPORT_LIMIT }, async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw new ApiError('bad_request', 'Send the order file as the body with Content-Type: text/csv.');
      const fileName = typeof req.headers['x-file-name'] === 'string' ? req.headers['x-file-name'].slice(0, 255) : null;
      const report = receipt.importOrders(req.body, fileName);
      if (report.ok) return reply.code(200).send(report);
      return reply.code(422).send({
        error: { code: 'invalid_file', message: `The order file has ${report.issues.length} problem${report.issues.length > 1 ? 's' : ''}; nothing was imported.` },
        report,
      });
    });
  });
  app.get('/api/v1/orders', async () => receipt.orderProgress());
  app.post('/api/v1/orders/receipts', async (req, reply) => {
    const p = parse(floorMethods.receiveSerial.params, req.body);
    return reply.code(201).send(receipt.receiveSerial(p.serial, p.orderId ?? null));
  });
  app.get('/api/v1/settings/current-batch', async () => ({ batch: assignment.currentBatch() }));
  app.put('/api/v1/settings/current-batch', async (req) => ({ batch: assignment.setCurrentBatch(parse(floorMethods.setCurrentBatch.params, req.body)) }));
  app.post<{ Params: { serial: string } }>('/api/v1/devices/:serial/assign', async (req) => {
    assignment.assignDevice(req.params.serial, parse(z.object({ orderId: z.string().min(1).max(64) }), req.body).orderId);
    return { ok: true };
  });

  // operators and shift schedule
  app.post('/api/v1/operators/sign-in', async (req) => operators.signIn(parse(floorMethods.signIn.params, req.body)));
  app.post('/api/v1/operators/sign-out', async (req) => (operators.signOut(parse(floorMethods.signOut.params, req.body).name), { ok: true }));
  app.get('/api/v1/settings/shift-schedule', async () => ({ windows: shifts.scheduleWindows() }));
  app.put('/api/v1/settings/shift-schedule', async (req) => ({ windows: shifts.setScheduleWindows(parse(floorMethods.setShiftSchedule.params, req.body).windows) }));

  // labels
  app.get('/api/v1/settings/label-printer', async () => labels.labelSettings());
  app.put('/api/v1/settings/label-printer', async (req) => {
    const p = parse(floorMethods.setLabelPrinter.params, req.body);
    return labels.setLabelPrinter(p.printer, p.autoPrint);
  });
  app.get<{ Params: { template: string } }>('/api/v1/labels/:template/preview', async (req, reply) => {
    const q = parse(z.object({ runId: z.string().min(1).max(100).optional(), format: z.enum(['svg', 'zpl']).default('svg') }), req.query);
    const out = labels.labelPreview(req.params.template, q.runId);
    return q.format === 'zpl' ? reply.type('text/plain; charset=utf-8').send(out.zpl) : reply.type('image/svg+xml').send(out.svg);
  });
  app.post<{ Params: { runId: string } }>('/api/v1/runs/:runId/label', async (req) => {
    await labels.reprint(req.params.runId);
    return { ok: true };
  });

  // packing units
  app.get('/api/v1/units', async (req) => packing.listUnits(parse(floorMethods.listUnits.params, req.query).state ?? null));
  app.post('/api/v1/units', async (req, reply) => reply.code(201).send(packing.createUnit(parse(floorMethods.createUnit.params, req.body))));
  app.get<{ Params: { id: string } }>('/api/v1/units/:id', async (req) => packing.unitDetail(req.params.id));
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/devices', async (req, reply) => {
    const r = packing.pack(req.params.id, parse(z.object({ serial: z.string().trim().min(1).max(64) }), req.body).serial);
    if (r.ok) return reply.code(r.already ? 200 : 201).send(r);
    return reply.code(409).send({ error: { code: r.code, message: r.message } });
  });
  app.post<{ Params: { id: string; serial: string } }>('/api/v1/units/:id/devices/:serial/remove', async (req) =>
    packing.unpack(req.params.id, req.params.serial, parse(z.object({ reason: z.string().trim().min(3).max(500) }), req.body).reason),
  );
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/close', async (req) => packing.closeUnit(req.params.id));
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/reopen', async (req) => packing.reopenUnit(req.params.id, parse(z.object({ reason: z.string().trim().min(3).max(500) }), req.body).reason));
  app.post<{ Params: { id: string } }>('/api/v1/units/:id/label', async (req) => {
    await packing.printUnitLabel(req.params.id);
    return { ok: true };
  });
  app.get<{ Params: { id: string } }>('/api/v1/units/:id/manifest', async (req, reply) => {
    const q = parse(z.object({ format: z.enum(['csv', 'pdf']).default('pdf'), dialect: z.string().optional() }), req.query);
    const { unit, items } = packing.unitDetail(req.params.id);
    const dialect = parseCsvDialect(q.dialect);
    return q.format === 'csv'
      ? stream(reply, logger, `manifest ${unit.id}`, 'text/csv; charset=utf-8', `packliste-${unit.id}.csv`, (out) => writeManifestCsv(unit, items, out, dialect))
      : stream(reply, logger, `manifest ${unit.id}`, 'application/pdf', `packliste-${unit.id}.pdf`, (out) => writeManifestPdf(unit, items, out));
  });

  // quarantine / returns
  app.get('/api/v1/quarantine', async (req, reply) => {
    const q = parse(z.object({ format: z.enum(['json', 'csv']).default('json'), dialect: z.string().optional(), all: z.enum(['0', '1']).optional() }), req.query);
    const list = quarantine.listQuarantine(q.all === '1');
    if (q.format === 'json') return list;
    const dialect = parseCsvDialect(q.dialect);
    return stream(reply, logger, 'quarantine list', 'text/csv; charset=utf-8', 'quarantaene.csv', (out) => writeQuarantineCsv(list, out, dialect));
  });
  app.post<{ Params: { serial: string } }>('/api/v1/devices/:serial/quarantine', async (req, reply) => {
    quarantine.quarantineDevice(req.params.serial, parse(z.object({ reason: z.string().trim().min(3).max(500) }), req.body).reason);
    return reply.code(201).send({ ok: true });
  });
  app.post<{ Params: { serial: string } }>('/api/v1/devices/:serial/release', async (req) => {
    quarantine.releaseQuarantine(req.params.serial, parse(z.object({ note: z.string().trim().min(3).max(500) }), req.body).note);
    return { ok: true };
  });
}
