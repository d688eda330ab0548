import type { PlistDict } from '../ios-link.js';
import type { FrameFormat } from '../frame-reader.js';
import { encodePlistXml } from '../plist-codec.js';

/**
 * usbmuxd's wire format (libusbmuxd include/usbmuxd-proto.h): a 16-byte little-endian header
 * (total length including the header, version 1, message type 8 = plist, tag) and an XML plist.
 * The daemon echoes the tag in its answer; unsolicited Listen events carry tag 0.
 */
export const USBMUX_HEADER_BYTES = 16;
export const USBMUX_VERSION_PLIST = 1;
export const USBMUX_MESSAGE_PLIST = 8;
/** Answers are small (a device list of a few hundred devices at most). */
const MAX_USBMUX_BODY = 4 * 1024 * 1024;

/** Result numbers (usbmuxd-proto.h). */
export const USBMUX_RESULT = { ok: 0, badCommand: 1, badDevice: 2, connectionRefused: 3, badVersion: 6 } as const;

/** libusbmuxd's protocol version: 3 tells the daemon the client speaks plists only. */
export const LIBUSBMUX_VERSION = 3;

export const USBMUX_FRAMES: FrameFormat = {
  headerBytes: USBMUX_HEADER_BYTES,
  bodyLength: (header) => header.readUInt32LE(0) - USBMUX_HEADER_BYTES,
  maxBody: MAX_USBMUX_BODY,
};

/** Who we are to usbmuxd: sent with every request, as libusbmuxd does. */
export interface UsbmuxClientIdentity {
  progName: string;
  clientVersionString: string;
}

export function encodeUsbmuxMessage(tag: number, payload: PlistDict, identity: UsbmuxClientIdentity): Buffer {
  const body = encodePlistXml({
    ...payload,
    ClientVersionString: identity.clientVersionString,
    ProgName: identity.progName,
    kLibUSBMuxVersion: LIBUSBMUX_VERSION,
  });
  const header = Buffer.alloc(USBMUX_HEADER_BYTES);
  header.writeUInt32LE(USBMUX_HEADER_BYTES + body.length, 0);
  header.writeUInt32LE(USBMUX_VERSION_PLIST, 4);
  header.writeUInt32LE(USBMUX_MESSAGE_PLIST, 8);
  header.writeUInt32LE(tag, 12);
  return Buffer.concat([header, body]);
}

export function usbmuxTag(header: Buffer): number {
  return header.readUInt32LE(12);
}

/** The port as Connect wants it: in network byte order inside a little-endian field (62078 goes as 32498). */
export function swapPort(port: number): number {
  return ((port & 0xff) << 8) | ((port >> 8) & 0xff);
}
