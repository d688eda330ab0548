import fs from 'node:fs';
import net from 'node:net';
import { decodePlist, decodePlistDict, encodeXmlPlist, integerField, isPlistDict, stringField, type PlistDict, type PlistOut } from './plist-wire.js';

/**
 * The emulated usbmuxd (usbmuxd 1.1.1 src/client.c, libusbmuxd 2.0.2 usbmuxd-proto.h): a 16-byte
 * little-endian header (length incl. header, version, message, tag) and an XML plist; answers echo
 * the request's tag, notifications carry tag 0. Plist protocol (version 1, message 8) only: every
 * client checked here (libusbmuxd, go-ios, appium-ios-device) speaks it. Results are
 * {MessageType:"Result", Number}: 0 ok, 1 bad command, 2 bad device, 3 connection refused, 6 bad
 * version; ReadPairRecord for an unknown record answers ENOENT (2) like usbmuxd's config.c.
 */

export const USBMUX_RESULT = { ok: 0, badCommand: 1, badDevice: 2, connectionRefused: 3, badVersion: 6, invalidArgument: 22 } as const;
const NO_SUCH_RECORD = 2;
const HEADER_BYTES = 16;
const MESSAGE_PLIST = 8;
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface UsbmuxAttachment {
  deviceId: number;
  udid: string;
  locationId: number;
  productId: number;
  connectionSpeed: number;
}

/** What usbmuxd asks the emulator: the attached devices, the pair record store, and the device ports. */
export interface UsbmuxdBackend {
  attachments(): UsbmuxAttachment[];
  /** What takes the socket over for the device's port, or a USBMUX_RESULT code when nothing can (the client stays with usbmuxd). */
  connect(deviceId: number, port: number): number | ((socket: net.Socket, leftover: Buffer) => void);
  readonly pairRecords: Map<string, Buffer>;
  readonly systemBuid: string;
  log(message: string): void;
}

export type UsbmuxdListen = { path: string } | { port: number; host?: string };

function attachedMessage(device: UsbmuxAttachment): PlistOut {
  return {
    MessageType: 'Attached',
    DeviceID: device.deviceId,
    Properties: {
      ConnectionSpeed: device.connectionSpeed,
      ConnectionType: 'USB',
      DeviceID: device.deviceId,
      LocationID: device.locationId,
      ProductID: device.productId,
      SerialNumber: device.udid,
    },
  };
}

function packet(tag: number, payload: PlistOut): Buffer {
  const body = encodeXmlPlist(payload);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(HEADER_BYTES + body.length, 0);
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(MESSAGE_PLIST, 8);
  header.writeUInt32LE(tag, 12);
  return Buffer.concat([header, body]);
}

function result(tag: number, number: number): Buffer {
  return packet(tag, { MessageType: 'Result', Number: number });
}

/** One usbmuxd client connection until it Listens, Connects (then it is the device's) or closes. */
class UsbmuxClient {
  private readonly socket: net.Socket;
  private readonly server: UsbmuxdServer;
  private buffer: Buffer = Buffer.alloc(0);
  listening = false;
  private handedOver = false;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);

  constructor(socket: net.Socket, server: UsbmuxdServer) {
    this.socket = socket;
    this.server = server;
    socket.on('data', this.onData);
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed && !this.handedOver) this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (!this.handedOver && this.buffer.length >= HEADER_BYTES) {
      const length = this.buffer.readUInt32LE(0);
      if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) {
        this.server.backend.log(`usbmuxd: dropping client, bad packet length ${length}`);
        this.close();
        return;
      }
      if (this.buffer.length < length) return;
      const version = this.buffer.readUInt32LE(4);
      const message = this.buffer.readUInt32LE(8);
      const tag = this.buffer.readUInt32LE(12);
      const payload = this.buffer.subarray(HEADER_BYTES, length);
      this.buffer = this.buffer.subarray(length);
      this.command(version, message, tag, payload);
    }
  }

  private command(version: number, message: number, tag: number, payload: Buffer): void {
    if (version !== 1 || message !== MESSAGE_PLIST) {
      // The binary protocol (version 0) is not emulated; libusbmuxd falls back to plists on this answer.
      this.send(result(tag, version > 1 ? USBMUX_RESULT.badVersion : USBMUX_RESULT.badCommand));
      return;
    }
    let request: PlistDict;
    try {
      request = decodePlistDict(payload);
    } catch {
      this.server.backend.log('usbmuxd: dropping client, payload is not a plist dictionary');
      this.close();
      return;
    }
    const type = stringField(request, 'MessageType');
    const backend = this.server.backend;
    switch (type) {
      case 'ListDevices':
        this.send(packet(tag, { DeviceList: backend.attachments().map(attachedMessage) }));
        return;
      case 'Listen':
        this.send(result(tag, USBMUX_RESULT.ok));
        this.listening = true;
        for (const device of backend.attachments()) this.send(packet(0, attachedMessage(device)));
        return;
      case 'ReadBUID':
        this.send(packet(tag, { BUID: backend.systemBuid }));
        return;
      case 'ReadPairRecord': {
        const record = backend.pairRecords.get(stringField(request, 'PairRecordID') ?? '');
        this.send(record ? packet(tag, { PairRecordData: record }) : result(tag, NO_SUCH_RECORD));
        return;
      }
      case 'SavePairRecord':
        this.send(result(tag, this.savePairRecord(request)));
        return;
      case 'DeletePairRecord': {
        const deleted = backend.pairRecords.delete(stringField(request, 'PairRecordID') ?? '');
        this.send(result(tag, deleted ? USBMUX_RESULT.ok : NO_SUCH_RECORD));
        return;
      }
      case 'Connect':
        this.connect(tag, request);
        return;
      default:
        this.send(result(tag, USBMUX_RESULT.badCommand));
    }
  }

  private savePairRecord(request: PlistDict): number {
    const id = stringField(request, 'PairRecordID');
    const data = request['PairRecordData'];
    if (!id || !Buffer.isBuffer(data)) return USBMUX_RESULT.invalidArgument;
    // Binary (macOS, libimobiledevice) and XML (go-ios) records are both kept as sent.
    try {
      if (!isPlistDict(decodePlist(data))) return USBMUX_RESULT.invalidArgument;
    } catch {
      return USBMUX_RESULT.invalidArgument;
    }
    this.server.backend.pairRecords.set(id, Buffer.from(data));
    const deviceId = integerField(request, 'DeviceID');
    const attached = this.server.backend.attachments().find((device) => device.deviceId === deviceId && device.udid === id);
    if (attached) this.server.broadcast({ MessageType: 'Paired', DeviceID: attached.deviceId });
    return USBMUX_RESULT.ok;
  }

  private connect(tag: number, request: PlistDict): void {
    const deviceId = integerField(request, 'DeviceID');
    const networkPort = integerField(request, 'PortNumber');
    if (deviceId === undefined) {
      this.send(result(tag, USBMUX_RESULT.badDevice));
      return;
    }
    if (networkPort === undefined) {
      this.send(result(tag, USBMUX_RESULT.badCommand));
      return;
    }
    // PortNumber travels in network byte order inside the plist (62078 arrives as 32498).
    const port = ((networkPort & 0xff) << 8) | ((networkPort >> 8) & 0xff);
    const target = this.server.backend.connect(deviceId, port);
    if (typeof target === 'number') {
      this.send(result(tag, target));
      return;
    }
    this.send(result(tag, USBMUX_RESULT.ok));
    this.handedOver = true;
    this.socket.off('data', this.onData);
    const leftover = this.buffer;
    this.buffer = Buffer.alloc(0);
    target(this.socket, leftover);
  }
}

export class UsbmuxdServer {
  readonly backend: UsbmuxdBackend;
  private readonly listen: UsbmuxdListen;
  private server: net.Server | null = null;
  private readonly clients = new Map<net.Socket, UsbmuxClient>();
  private boundPort: number | null = null;

  constructor(listen: UsbmuxdListen, backend: UsbmuxdBackend) {
    this.listen = listen;
    this.backend = backend;
  }

  /** USBMUXD_SOCKET_ADDRESS for clients: "UNIX:/path" (libimobiledevice's form) or "127.0.0.1:port". */
  get address(): string {
    if ('path' in this.listen) return `UNIX:${this.listen.path}`;
    return `${this.listen.host ?? '127.0.0.1'}:${this.boundPort ?? this.listen.port}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = 100_000;
    if ('path' in this.listen) fs.rmSync(this.listen.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('path' in this.listen) server.listen(this.listen.path, () => resolve());
      // The same port after a restart, so clients find usbmuxd where it was.
      else server.listen(this.boundPort ?? this.listen.port, this.listen.host ?? '127.0.0.1', () => resolve());
    });
    const bound = server.address();
    if (bound && typeof bound === 'object') this.boundPort = bound.port;
    this.server = server;
  }

  /** usbmuxd dies: the socket goes away and every client connection, piped ones included, closes. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    await closed;
    if ('path' in this.listen) fs.rmSync(this.listen.path, { force: true });
  }

  broadcast(message: PlistOut): void {
    const bytes = packet(0, message);
    for (const client of this.clients.values()) if (client.listening) client.send(bytes);
  }

  attached(device: UsbmuxAttachment): void {
    this.broadcast(attachedMessage(device));
  }

  detached(deviceId: number): void {
    this.broadcast({ MessageType: 'Detached', DeviceID: deviceId });
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    this.clients.set(socket, new UsbmuxClient(socket, this));
    socket.on('close', () => this.clients.delete(socket));
  }
}
