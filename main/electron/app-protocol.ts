import fs from 'node:fs/promises';
import path from 'node:path';
import { RENDERER_CSP } from '../api/station-http-server.js';

/**
 * The renderer is loaded from `app://station/`, a privileged (standard, secure) custom scheme
 * served from the built renderer folder only. No file:// and no http:// page is ever loaded, so the
 * renderer has one origin and the CSP's 'self' means exactly that folder.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'station';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/`;

/** True only for URLs of the app's own origin (app://station/...). */
export function isAppUrl(url: string | null | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

function headers(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': RENDERER_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
}

function problem(status: number, text: string): Response {
  return new Response(text, { status, headers: headers('text/plain; charset=utf-8') });
}

async function readFileIn(root: string, relative: string): Promise<Buffer | null> {
  const file = path.resolve(root, relative);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return null;
    return await fs.readFile(file);
  } catch {
    return null;
  }
}

/**
 * Answers one request of the app scheme: a file below `rendererDir`, with the renderer's CSP.
 * Paths without a file extension fall back to index.html (client-side routes); anything that
 * leaves the folder, any other host and any method but GET/HEAD is refused.
 */
export async function serveAppRequest(rendererDir: string, requestUrl: string, method = 'GET'): Promise<Response> {
  if (method !== 'GET' && method !== 'HEAD') return problem(405, 'Method not allowed.');
  if (!isAppUrl(requestUrl)) return problem(404, 'Not found.');
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(requestUrl).pathname);
  } catch {
    return problem(400, 'Bad path.');
  }
  if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').includes('..')) return problem(400, 'Bad path.');
  const root = path.resolve(rendererDir);
  let relative = pathname.replace(/^\/+/, '');
  if (relative === '' || relative.endsWith('/')) relative += 'index.html';
  let body = await readFileIn(root, relative);
  let ext = path.extname(relative).toLowerCase();
  if (!body && ext === '') {
    body = await readFileIn(root, 'index.html');
    ext = '.html';
  }
  if (!body) return problem(404, 'Not found.');
  const type = CONTENT_TYPES[ext] ?? 'application/octet-stream';
  return new Response(method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: headers(type) });
}
