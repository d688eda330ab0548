import net from 'node:net';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';

/**
 * Which Host and Origin a server answers. A page on another origin (or a DNS-rebound name pointing
 * at 127.0.0.1) must not drive the station or read a supervisor's session, so:
 * - Host must name loopback, the address the server is bound to, or a configured name; with
 *   `anyIpLiteral` any IP address too (DNS rebinding always comes with a domain name, never an IP).
 * - Origin, when the client sends one, must be one of `appOrigins` or http(s):// plus an allowed Host.
 * Clients that send no Origin (curl, scripts, stations) pass this check; the token still decides.
 */
export interface HostPolicy {
  /** Extra host names (no port), e.g. the configured --host or the hub's public name. */
  names: readonly string[];
  /** Origins of non-HTTP pages that may call in, e.g. app://station. */
  appOrigins: readonly string[];
  /** The hub is reached through proxies and LAN addresses; the station only on its own address. */
  anyIpLiteral: boolean;
  /** When true, a Host port must be the port the server listens on. */
  checkPort: boolean;
  /** The station serves plain http only; the hub may sit behind a TLS proxy. */
  httpsOrigins: boolean;
}

export interface BoundAddress {
  address: string;
  port: number;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** "Bearer <token>" from the Authorization header. */
export function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined;
}

function normalizeName(name: string): string {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return net.isIPv6(lower) ? `[${lower}]` : lower;
}

/** Splits "name:port" / "[v6]:port" into a normalized name and a port (null when absent). */
export function splitHost(host: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return null;
  return { name: normalizeName(m[1]!), port: m[2] === undefined ? null : Number(m[2]) };
}

function isIpLiteral(name: string): boolean {
  return net.isIPv4(name) || (name.startsWith('[') && net.isIPv6(name.slice(1, -1)));
}

export class RequestGuard {
  private readonly names: Set<string>;

  constructor(
    private readonly policy: HostPolicy,
    private readonly bound: () => BoundAddress | null,
  ) {
    this.names = new Set([...LOOPBACK_NAMES, ...policy.names.map(normalizeName)]);
  }

  /** True when `host` ("name[:port]") is one this server answers to. */
  hostAllowed(host: string | undefined, defaultPort = 80): boolean {
    if (!host) return false;
    const parts = splitHost(host);
    if (!parts) return false;
    const bound = this.bound();
    const boundName = bound && !['0.0.0.0', '::'].includes(bound.address) ? normalizeName(bound.address) : null;
    const nameOk = this.names.has(parts.name) || parts.name === boundName || (this.policy.anyIpLiteral && isIpLiteral(parts.name));
    if (!nameOk) return false;
    if (!this.policy.checkPort || !bound) return true;
    return (parts.port ?? defaultPort) === bound.port;
  }

  originAllowed(origin: string): boolean {
    if (this.policy.appOrigins.includes(origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && !(url.protocol === 'https:' && this.policy.httpsOrigins)) return false;
    if (url.origin !== origin) return false; // a path, credentials or "null" is not an origin
    return this.hostAllowed(url.host, url.protocol === 'https:' ? 443 : 80);
  }

  /** The refusal for this request, or null when it may go on (to authentication). */
  check(req: FastifyRequest): AppError | null {
    if (!this.hostAllowed(req.headers.host)) {
      return new AppError('misdirected_request', message('http.wrong-host', { host: String(req.headers.host ?? '').slice(0, 100) }));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) {
      return new AppError('forbidden', message('http.foreign-origin', { origin: origin.slice(0, 100) }));
    }
    return null;
  }
}
