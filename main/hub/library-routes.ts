import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SHA256_PATTERN, libraryItemSchema, type LibraryItem } from '../../shared/contract/library-api.js';
import { formatMessage } from '../../shared/messages/format.js';
import { HttpError } from '../http/http-error.js';
import { bearer } from '../http/request-guard.js';
import { parseInput } from '../http/validate.js';
import { ContentStore } from '../library/content-store.js';
import { LibraryRefusal } from '../library/item-facts.js';
import { readItemFacts } from '../library/read-item.js';
import type { Logger } from '../logging/logger.js';
import type { HubStore } from './hub-store.js';

const UPLOAD_LIMIT = 4 * 1024 ** 3;
const hashParams = z.object({ sha256: z.string().regex(SHA256_PATTERN, 'the sha256 in lower-case hex') }).strict();
const putQuery = z.object({ name: z.string().min(1).max(255) }).strict();

/**
 * The centre's library on the hub: an admin puts an item once (PUT /api/v1/library/{sha256}?name=FILE),
 * stations list (GET /api/v1/library) and fetch what they miss by hash
 * (GET /api/v1/library/{sha256}, with Range so a broken 2 GB download resumes). Files live in
 * DATA_DIR/library/<sha256> beside <sha256>.json, the item as the station's readers saw it.
 */
export function registerLibraryRoutes(app: FastifyInstance, deps: { store: HubStore; dataDir: string; logger: Logger }): void {
  const content = new ContentStore(path.join(deps.dataDir, 'library'));
  content.sweepTemps();
  const metaPath = (sha256: string) => `${content.pathOf(sha256)}.json`;
  const stationOnly = async (req: FastifyRequest) => {
    if (!(await deps.store.stationOfToken(bearer(req))))
      throw HttpError.of('unauthorized', 'Unknown station token: register the station (benchline hub register-station).');
  };

  app.get('/api/v1/library', { config: { access: 'station' } }, async (req) => {
    await stationOnly(req);
    const items: LibraryItem[] = [];
    for (const name of fs.readdirSync(content.dir)) {
      if (!name.endsWith('.json')) continue;
      const parsed = libraryItemSchema.safeParse(JSON.parse(fs.readFileSync(path.join(content.dir, name), 'utf8')));
      if (parsed.success && content.has(parsed.data.sha256)) items.push(parsed.data);
    }
    return items;
  });

  app.get('/api/v1/library/:sha256', { config: { access: 'station' } }, async (req, reply) => {
    await stationOnly(req);
    const { sha256 } = parseInput(hashParams, req.params, 'Path');
    if (!content.has(sha256)) throw HttpError.of('not_found', `The hub has no library file ${sha256}.`);
    const size = fs.statSync(content.pathOf(sha256)).size;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start > size)
      return reply.code(416).header('content-range', `bytes */${size}`).send(HttpError.of('bad_request', 'Range beyond the end of the file.').toBody());
    reply
      .header('accept-ranges', 'bytes')
      .header('content-length', String(size - start))
      .type('application/octet-stream');
    if (range) reply.code(206).header('content-range', `bytes ${start}-${size - 1}/${size}`);
    return reply.send(size - start === 0 ? Buffer.alloc(0) : fs.createReadStream(content.pathOf(sha256), { start }));
  });

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.put('/api/v1/library/:sha256', { bodyLimit: UPLOAD_LIMIT, config: { access: 'admin' } }, async (req, reply) => {
      const { sha256 } = parseInput(hashParams, req.params, 'Path');
      const { name } = parseInput(putQuery, req.query, 'Query');
      const staged = await content.stage(req.body as Readable, UPLOAD_LIMIT);
      try {
        if (staged.sha256 !== sha256) throw HttpError.of('bad_request', `The body's sha256 is ${staged.sha256}, not ${sha256}.`);
        let facts;
        try {
          facts = await readItemFacts(staged.tempPath, name, staged.size);
        } catch (err) {
          if (err instanceof LibraryRefusal) throw HttpError.of('bad_request', `${path.basename(name)}: ${formatMessage(err.reason, 'en')}`);
          throw err;
        }
        const item: LibraryItem = { ...facts, sha256, fileName: path.basename(name), size: staged.size, importedAt: new Date().toISOString() };
        const existed = content.has(sha256);
        content.commit(staged);
        if (!existed || !fs.existsSync(metaPath(sha256))) {
          const temp = content.tempPath();
          fs.writeFileSync(temp, JSON.stringify(item), { flush: true });
          fs.renameSync(temp, metaPath(sha256));
        }
        deps.logger.log('info', `library: ${item.kind} ${item.identifier} ${item.version ?? ''} stored (${sha256})`);
        return reply.code(existed ? 200 : 201).send(item);
      } catch (err) {
        content.discard(staged);
        throw err;
      }
    });
  });
}
