import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { HttpError } from '../http/http-error.js';
import { parseInput } from '../http/validate.js';
import type { StationCore } from '../station/station-core.js';
import { callMethod } from './station-methods.js';

/** The largest upload: a big iPad app is ~2 GB; the body goes to disk as it arrives, never into memory. */
export const LIBRARY_UPLOAD_LIMIT = 4 * 1024 ** 3;

const uploadQuery = z.object({ name: z.string().min(1).max(255).optional() }).strict();

/**
 * The device library over REST: GET /api/v1/library, POST /api/v1/library?name=FILE (the file as
 * the body, any content type, streamed to disk), DELETE /api/v1/library/{sha256 or prefix}.
 */
export async function registerLibraryRoutes(app: FastifyInstance, core: StationCore): Promise<void> {
  app.get('/api/v1/library', async () => callMethod(core, 'listLibrary', {}));
  app.delete<{ Params: { id: string } }>('/api/v1/library/:id', async (req) => callMethod(core, 'removeLibraryItem', { id: req.params.id }));
  await app.register(async (scope) => {
    // The body stays a stream: the library hashes it on its way to a temp file.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post('/api/v1/library', { bodyLimit: LIBRARY_UPLOAD_LIMIT }, async (req, reply) => {
      const q = parseInput(uploadQuery, req.query, 'Query');
      const header = req.headers['x-file-name'];
      const name = q.name ?? (typeof header === 'string' ? decodeURIComponent(header).slice(0, 255) : undefined);
      if (!name) throw new AppError('bad_request', message('library.no-name'));
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > LIBRARY_UPLOAD_LIMIT) throw HttpError.of('payload_too_large', `The file is larger than ${LIBRARY_UPLOAD_LIMIT} bytes.`);
      const body = req.body as Readable | undefined;
      if (!body || typeof body.pipe !== 'function') throw HttpError.of('bad_request', 'Send the file as the request body.');
      const item = await core.library.importStream(name, body, LIBRARY_UPLOAD_LIMIT);
      return reply.code(201).send(item);
    });
  });
}
