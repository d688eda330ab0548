import http from 'node:http';
import type { RouteInfo } from '../../main/http/http-app.js';

/** One raw HTTP exchange: the path goes out byte for byte (fetch would normalize %2e%2e and //). */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  given: Record<string, string | undefined> = {},
  body?: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const headers = Object.fromEntries(Object.entries(given).filter((e): e is [string, string] => e[1] !== undefined));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host: `127.0.0.1:${port}`,
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
        },
        setHost: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          // SSE answers never end: the status and first bytes are all a probe needs.
          text += c;
          if (res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
        });
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A concrete path for a route pattern (":id" → a plausible value, "*" → a file name). */
export function concretePath(url: string): string {
  return url.replace(/:[A-Za-z]+/g, 'X-1').replace(/\*/g, 'index.html');
}

/**
 * The same route spelled the ways an attacker spells it to slip past a check on the raw URL:
 * percent-encoded letters, dot segments, double encoding, doubled slashes, upper case.
 */
export function pathVariants(path: string): { name: string; path: string }[] {
  if (!path.startsWith('/api/')) return [];
  const rest = path.slice('/api'.length);
  const last = path.lastIndexOf('/');
  const lastSeg = path.slice(last + 1);
  const variants = [
    { name: '%61pi', path: `/%61pi${rest}` },
    { name: '%2e%2e', path: `/api/v1/%2e%2e${rest}` },
    { name: 'dot-dot', path: `/x/..${path}` },
    { name: 'double encoding', path: `/%2561pi${rest}` },
    { name: '//api', path: `/${path}` },
    { name: 'upper case', path: `/API${rest}` },
    { name: 'encoded %2f', path: `/api%2f${rest.slice(1)}` },
  ];
  if (lastSeg && /^[a-z]/.test(lastSeg)) {
    variants.push({ name: 'encoded last segment', path: `${path.slice(0, last + 1)}%${lastSeg.charCodeAt(0).toString(16)}${lastSeg.slice(1)}` });
  }
  return variants;
}

/** A minimal body each method can carry; the guard must refuse before any handler reads it. */
export function probeBody(method: string): string | undefined {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{}' : undefined;
}

export function isErrorBody(text: string, code: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return body.error?.code === code && typeof body.error.message === 'string' && body.error.message.length > 0;
  } catch {
    return false;
  }
}

/** Routes worth probing: everything but HEAD twins of GETs. */
export function probeRoutes(routes: RouteInfo[]): RouteInfo[] {
  return routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
}
