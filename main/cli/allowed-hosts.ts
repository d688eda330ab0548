import net from 'node:net';
import { message } from '../../shared/messages/catalogue.js';
import os from 'node:os';
import { CliError } from './cli-error.js';

/** Addresses that mean "every interface": they name no host a browser could use. */
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** `--allowed-host` takes a bare name or address: "bench1.local", "10.0.0.5", "::1" (no scheme, no port). */
export function checkAllowedHost(value: string): string {
  const name = value.trim();
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  if (HOST_NAME.test(name) || net.isIP(bare) !== 0) return name;
  throw new CliError(message('cli.allowed-host', { value }), 2);
}

/** The unscoped addresses of this machine's interfaces (a scoped fe80::…%eth0 is no usable Host). */
function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => i.address)
    .filter((a) => !a.includes('%'));
}

/**
 * The Host names a server answers besides loopback: the --host it was started with (a name such as
 * bench1.local resolves to an address, so the bound address alone would not admit it), every
 * interface address when it listens on all of them, and the --allowed-host names (a reverse proxy's
 * public name).
 */
export function allowedHostNames(host: string, allowed: readonly string[]): string[] {
  const own = WILDCARD_ADDRESSES.has(host) ? interfaceAddresses() : [host];
  return [...new Set([...own, ...allowed.map(checkAllowedHost)])];
}
