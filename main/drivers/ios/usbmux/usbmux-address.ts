import net from 'node:net';
import type { Duplex } from 'node:stream';
import { IosLinkError } from '../ios-link.js';
import { untilAborted } from '../link-abort.js';

/** Where usbmuxd listens: a unix socket (Linux usbmuxd, macOS) or TCP (Windows' Apple Mobile Device Service). */
export type UsbmuxdAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export const DEFAULT_UNIX_SOCKET = '/var/run/usbmuxd';
export const DEFAULT_WINDOWS_ADDRESS: UsbmuxdAddress = { kind: 'tcp', host: '127.0.0.1', port: 27015 };

export class UsbmuxdAddressError extends Error {
  override name = 'UsbmuxdAddressError';
  constructor(readonly value: string) {
    super(`USBMUXD_SOCKET_ADDRESS="${value}" is neither UNIX:/path, /path nor host:port`);
  }
}

/**
 * USBMUXD_SOCKET_ADDRESS in libimobiledevice's forms ("UNIX:/path", "host:port") and as a bare
 * "/path"; unset or empty: the platform's default. A value that is none of these is refused with a
 * message that names it, rather than silently falling back to the default.
 */
export function parseUsbmuxdAddress(value: string | undefined, platform: NodeJS.Platform): UsbmuxdAddress {
  const text = value?.trim() ?? '';
  if (text === '') return platform === 'win32' ? DEFAULT_WINDOWS_ADDRESS : { kind: 'unix', path: DEFAULT_UNIX_SOCKET };
  const unix = /^unix:(.+)$/i.exec(text);
  if (unix) return { kind: 'unix', path: unix[1]!.trim() };
  if (text.startsWith('/')) return { kind: 'unix', path: text };
  // "host:port", "[::1]:port" for IPv6.
  const tcp = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = tcp ? Number(tcp[3]) : NaN;
  if (tcp && port >= 1 && port <= 65535) return { kind: 'tcp', host: (tcp[1] ?? tcp[2])!, port };
  throw new UsbmuxdAddressError(text);
}

/** How the address reads in a message: the form USBMUXD_SOCKET_ADDRESS takes. */
export function formatUsbmuxdAddress(address: UsbmuxdAddress): string {
  if (address.kind === 'unix') return address.path;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Opens a new connection to usbmuxd; every request and every device connection takes one. */
export type UsbmuxdDialer = (signal: AbortSignal) => Promise<Duplex>;

/** Dials the address over a socket; a daemon that is not there fails as 'usbmuxd-unreachable' naming the address. */
export function socketDialer(address: UsbmuxdAddress): UsbmuxdDialer {
  return (signal) => {
    const socket = address.kind === 'unix' ? net.createConnection(address.path) : net.createConnection(address.port, address.host);
    socket.setNoDelay(true);
    const connected = new Promise<Duplex>((resolve, reject) => {
      socket.once('connect', () => {
        // From here an error shows as the socket closing; an 'error' nobody listens to would end the station.
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(new IosLinkError('usbmuxd-unreachable', `usbmuxd at ${formatUsbmuxdAddress(address)} does not answer`, err.code ?? err.message));
      });
    });
    return untilAborted(signal, connected, () => socket.destroy());
  };
}
