import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseCsvDialect } from '../export/shift-log-csv.js';
import type { Logger } from '../logging/logger.js';
import { csvDialectError } from './hub-errors.js';
import { parseInput } from '../http/validate.js';
import type { HubStore } from './hub-store.js';
import { writeDeadLettersCsv } from './ingest/dead-letters.js';

const deadLettersQuery = z
  .object({
    station: z.string().min(1).max(200).optional(),
    format: z.enum(['json', 'csv'], { message: 'format must be json or csv' }).optional(),
    dialect: z.string().optional(),
  })
  .strict();

/**
 * GET /api/v1/dead-letters[?station=ID][&format=csv[&dialect=excel-de]]: the events the hub set aside,
 * for a supervisor session, as JSON or as a CSV file (formulas guarded).
 */
export function registerDeadLetterRoutes(app: FastifyInstance, deps: { store: HubStore; logger: Logger; config: Record<string, unknown> }): void {
  // Supervisor access: the hub's default for a route that names none (main/http/http-app.ts).
  app.get('/api/v1/dead-letters', { config: deps.config }, async (req, reply) => {
    const q = parseInput(deadLettersQuery, req.query, 'query');
    const list = await deps.store.deadLetters(q.station);
    if (q.format !== 'csv') return list;
    let dialect;
    try {
      dialect = parseCsvDialect(q.dialect);
    } catch (err) {
      throw csvDialectError(err);
    }
    const body = new PassThrough();
    writeDeadLettersCsv(list, body, dialect).catch((err: unknown) => {
      deps.logger.log('error', `dead letters export failed while streaming: ${(err as Error).stack ?? String(err)}`);
      body.destroy(err as Error);
    });
    reply.type('text/csv; charset=utf-8');
    reply.header('content-disposition', 'attachment; filename="dead-letters.csv"');
    return reply.send(body);
  });
}
