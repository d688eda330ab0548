import fs from 'node:fs';
import type { FastifyReply } from 'fastify';

/** Both pages (technician UI, hub dashboard) load only their own files and talk only to their own origin. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/**
 * Answers with one HTML page (the SPA fallback, the hub's "/") under PAGE_CSP. Read here rather
 * than through @fastify/static's sendFile, which lives in the public scope the page files use.
 */
export function sendPage(reply: FastifyReply, file: string): FastifyReply {
  return reply.header('content-security-policy', PAGE_CSP).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(fs.createReadStream(file));
}
