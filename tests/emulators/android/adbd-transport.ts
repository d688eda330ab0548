import { randomBytes, type KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { TOKEN_SIZE, parseAdbPublicKey, verifyTokenSignature } from './adb-auth.js';
import { AdbProtocolError, AUTH_TYPE, A_VERSION, COMMAND, MAX_PAYLOAD, PacketReader, commandName, encodePacket, type AdbPacket } from './adb-packet.js';
import { AdbdStream, type StreamLink } from './adbd-stream.js';

/** A service's body, started once the stream is accepted. */
export type ServiceStarter = (stream: AdbdStream) => void;

/** What the transport asks of the device it belongs to. */
export interface AdbdDevice {
  /** `device::ro.product.name=…;…;features=…` */
  banner(): string;
  /** 'open': CNXN at once (ro.adb.secure=0); 'keys': AUTH first, CNXN once a signature verifies with an allowed key. */
  usbDebugging(): 'open' | 'keys';
  allowedKeys(): readonly KeyObject[];
  /** A host sent its public key: the device shows "Allow USB debugging?" and calls transport.allow() when accepted. */
  promptForKey(key: KeyObject, transport: AdbdTransport): void;
  /** The starter for a service, or null when adbd refuses it (CLSE). */
  resolveService(service: string): ServiceStarter | null;
  receiveDelay(bytes: number): Promise<void> | null;
  log(line: string): void;
}

export type TransportState = 'connecting' | 'authorizing' | 'unauthorized' | 'online' | 'closed';

/**
 * adbd's side of one host connection (one TCP socket): the CNXN/AUTH handshake, then OPEN/OKAY/
 * WRTE/CLSE streams with our local ids and the host's remote ids.
 */
export class AdbdTransport implements StreamLink {
  state: TransportState = 'connecting';
  private readonly socket: Socket;
  private readonly device: AdbdDevice;
  private readonly reader: PacketReader;
  private readonly streams = new Map<number, AdbdStream>();
  private nextLocalId = 1;
  private version = 0;
  private payloadLimit = 4096;
  private token: Buffer = Buffer.alloc(0);
  private pendingKey: KeyObject | null = null;

  constructor(socket: Socket, device: AdbdDevice) {
    this.socket = socket;
    this.device = device;
    this.reader = new PacketReader(() => MAX_PAYLOAD);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  maxPayload(): number {
    return this.payloadLimit;
  }

  send(command: number, arg0: number, arg1: number, payload: Buffer = Buffer.alloc(0)): void {
    if (this.state === 'closed') return;
    this.socket.write(encodePacket({ command, arg0, arg1, payload }, this.version < A_VERSION));
  }

  receiveDelay(bytes: number): Promise<void> | null {
    return this.device.receiveDelay(bytes);
  }

  forget(localId: number): void {
    this.streams.delete(localId);
  }

  /** The user allowed USB debugging on the prompt this transport raised. */
  allow(): void {
    if (this.state === 'unauthorized') this.goOnline();
  }

  get pendingPublicKey(): KeyObject | null {
    return this.pendingKey;
  }

  /** The cable is pulled or adbd stops: the host sees the connection end. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.destroy();
    for (const stream of [...this.streams.values()]) stream.remoteClosed();
    this.streams.clear();
  }

  private onData(chunk: Buffer): void {
    let packets: AdbPacket[];
    try {
      packets = this.reader.push(chunk);
    } catch (err) {
      this.device.log(`protocol error: ${err instanceof AdbProtocolError ? err.message : String(err)}`);
      this.close();
      return;
    }
    for (const packet of packets) this.handle(packet);
  }

  private handle(p: AdbPacket): void {
    switch (p.command) {
      case COMMAND.CNXN:
        this.version = Math.min(p.arg0, A_VERSION);
        this.payloadLimit = Math.min(p.arg1, MAX_PAYLOAD);
        if (this.device.usbDebugging() === 'open') this.goOnline();
        else this.sendToken();
        return;
      case COMMAND.AUTH:
        return this.handleAuth(p);
      case COMMAND.OPEN:
        return this.handleOpen(p);
      case COMMAND.OKAY:
        this.streams.get(p.arg1)?.acknowledged();
        return;
      case COMMAND.WRTE: {
        const stream = this.streams.get(p.arg1);
        if (stream) void stream.received(p.payload);
        return;
      }
      case COMMAND.CLSE:
        this.streams.get(p.arg1)?.remoteClosed();
        return;
      default:
        this.device.log(`ignored packet ${commandName(p.command)}`);
    }
  }

  private sendToken(): void {
    this.state = 'authorizing';
    this.token = randomBytes(TOKEN_SIZE);
    this.send(COMMAND.AUTH, AUTH_TYPE.token, 0, this.token);
  }

  private handleAuth(p: AdbPacket): void {
    if (this.state === 'online' || this.state === 'closed') return;
    if (p.arg0 === AUTH_TYPE.signature) {
      if (this.device.allowedKeys().some((key) => verifyTokenSignature(key, this.token, p.payload))) this.goOnline();
      else this.sendToken();
    } else if (p.arg0 === AUTH_TYPE.rsaPublicKey) {
      const key = parseAdbPublicKey(p.payload.toString('latin1'));
      if (!key) return;
      this.state = 'unauthorized';
      this.pendingKey = key;
      this.device.promptForKey(key, this);
    }
  }

  private goOnline(): void {
    this.state = 'online';
    this.send(COMMAND.CNXN, A_VERSION, MAX_PAYLOAD, Buffer.from(this.device.banner()));
  }

  private handleOpen(p: AdbPacket): void {
    if (this.state !== 'online') return;
    const service = p.payload.toString('utf8').replace(/\0+$/, '');
    const start = this.device.resolveService(service);
    this.device.log(`OPEN ${JSON.stringify(service)}${start ? '' : ' refused'}`);
    if (!start) {
      this.send(COMMAND.CLSE, 0, p.arg0);
      return;
    }
    const stream = new AdbdStream(this, this.nextLocalId++, p.arg0, service);
    this.streams.set(stream.localId, stream);
    this.send(COMMAND.OKAY, stream.localId, stream.remoteId);
    start(stream);
  }
}
