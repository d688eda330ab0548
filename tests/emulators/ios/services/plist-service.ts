import type { Duplex } from 'node:stream';
import type { EmulatorEnv } from '../emulated-ipad.js';
import {
  dataField,
  decodePlist,
  decodePlistDict,
  encodeXmlPlist,
  isPlistDict,
  sendPlistMessage,
  servePlistMessages,
  stringField,
  type PlistDict,
  type PlistOut,
  type PlistValue,
} from '../plist-wire.js';

/**
 * The device side of a plist service (MCInstall, installation_proxy, mobileactivationd,
 * diagnostics_relay) over the emulator's plist wire (../plist-wire.ts: 4-byte big-endian length +
 * plist; XML or binary in, XML out), with what the services need on top: whether the host is
 * still connected, and when it left.
 */

export type { PlistDict, PlistOut, PlistValue };
export { dataField, decodePlist, encodeXmlPlist, isPlistDict, stringField };

export interface ServiceConnection {
  /** Sends one answer; does nothing once the host is gone (the device side carries on). */
  send(message: PlistOut): void;
  readonly closed: boolean;
  /** Resolves when the connection has closed, for whatever reason. */
  readonly ended: Promise<void>;
}

/**
 * Runs `handle` for each request in order until the connection closes. A handler that throws is a
 * bug in the emulator: it is logged and the connection dropped, as a crashing daemon's would be.
 */
export function servePlistRequests(
  stream: Duplex,
  env: EmulatorEnv,
  service: string,
  handle: (request: PlistDict, conn: ServiceConnection) => Promise<void>,
): ServiceConnection {
  let closed = false;
  const ended = new Promise<void>((resolve) => {
    const finish = (): void => {
      closed = true;
      resolve();
    };
    stream.once('close', finish);
    stream.once('end', finish);
    stream.once('error', finish);
  });
  const conn: ServiceConnection = {
    send: (message) => {
      if (!closed) sendPlistMessage(stream, message);
    },
    get closed() {
      return closed;
    },
    ended,
  };
  servePlistMessages(
    stream,
    (request) => handle(request, conn),
    (error) => env.log(`${service}: ${error.stack ?? error.message}`),
  );
  return conn;
}

/** A plist dictionary from bytes, or null when they are none (requests carry plists as <data>). */
export function dictFromBytes(data: Buffer): PlistDict | null {
  try {
    return decodePlistDict(data);
  } catch {
    return null;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
