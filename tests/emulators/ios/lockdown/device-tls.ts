import crypto from 'node:crypto';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { EmulatedDevice } from '../emulated-device.js';
import { certificateForKey } from '../identities.js';
import { certificateDer } from './device-keys.js';

/**
 * TLS with the device as server, as lockdownd does it after StartSession and on service ports: the
 * server certificate is the DeviceCertificate the host put in its pair record, the key is the
 * device's own; the host must present a certificate of that pair record. libimobiledevice 1.3.0
 * presents the RootCertificate (idevice.c loads the root cert and key into its SSL_CTX), go-ios and
 * pymobiledevice3 the HostCertificate, so both are accepted. Hosts sign these certificates with SHA-1
 * (go-ios crypto_utils.go, libimobiledevice userpref.c), which OpenSSL 3 refuses at its default
 * security level: the context runs at level 0, as libimobiledevice's own client does. TLS 1.2 is the
 * minimum.
 */

const contexts = new WeakMap<EmulatedDevice, Map<string, { certificate: Buffer; context: tls.SecureContext }>>();

async function deviceSecureContext(device: EmulatedDevice, hostId: string): Promise<tls.SecureContext> {
  const keys = await device.keys();
  let perHost = contexts.get(device);
  if (!perHost) {
    perHost = new Map();
    contexts.set(device, perHost);
  }
  const fromPairRecord = device.deviceCertificates.get(hostId);
  const cached = perHost.get(hostId);
  if (cached && (!fromPairRecord || cached.certificate.equals(fromPairRecord))) return cached.context;
  // A stand-in when a test put a host into pairedHosts without a DeviceCertificate.
  const certificate = fromPairRecord ?? Buffer.from(certificateForKey(keys.privateKeyPem, device.udid).certificatePem);
  const context = tls.createSecureContext({
    key: keys.privateKeyPem,
    cert: certificate,
    minVersion: 'TLSv1.2',
    ciphers: 'DEFAULT:@SECLEVEL=0',
  });
  perHost.set(hostId, { certificate, context });
  return context;
}

/** Whether the host's TLS certificate belongs to the pair record of `hostId` (host or root certificate). */
function peerIsPairedHost(socket: tls.TLSSocket, device: EmulatedDevice, hostId: string): string | null {
  const host = device.state.pairedHosts.get(hostId);
  if (!host) return 'the host is no longer paired';
  const peer = socket.getPeerX509Certificate();
  if (!peer) return 'the host presented no certificate';
  const accepted = [certificateDer(host.hostCertificatePem), certificateDer(host.rootCertificatePem)];
  return accepted.some((der) => der?.equals(peer.raw)) ? null : 'the host presented a certificate of another pair record';
}

/** A duplex that carries raw bytes under a TLS socket: bytes are pushed in by hand, output goes to `write` until detached. */
class TlsCarrier extends Duplex {
  private readonly sink: (chunk: Buffer, done: (error?: Error | null) => void) => void;
  detached = false;

  constructor(sink: (chunk: Buffer, done: (error?: Error | null) => void) => void) {
    super();
    this.sink = sink;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.detached) done();
    else this.sink(chunk, done);
  }
}

function serverTlsSocket(transport: Duplex, context: tls.SecureContext): tls.TLSSocket {
  const socket = new tls.TLSSocket(transport, { isServer: true, secureContext: context, requestCert: true, rejectUnauthorized: false });
  // A host that vanishes mid-record must not crash the emulator; the connection just ends.
  socket.on('error', () => socket.destroy());
  return socket;
}

/** Waits for the handshake and checks the host's certificate; rejects (and destroys) on failure. */
function whenSecure(socket: tls.TLSSocket, device: EmulatedDevice, hostId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once('secure', () => {
      socket.off('error', fail);
      const problem = peerIsPairedHost(socket, device, hostId);
      if (problem) fail(new Error(`TLS refused: ${problem}`));
      else resolve();
    });
    socket.once('error', fail);
    socket.once('close', () => reject(new Error('connection closed during the TLS handshake')));
  });
}

/**
 * TLS on a service connection (after StartService): the whole connection stays TLS. Bytes the
 * usbmuxd parser had already read (`leftover`, normally none: clients wait for Connect's result)
 * go first.
 */
export async function acceptServiceTls(socket: net.Socket, leftover: Buffer, device: EmulatedDevice, hostId: string): Promise<tls.TLSSocket> {
  const context = await deviceSecureContext(device, hostId);
  let transport: Duplex = socket;
  if (leftover.length > 0) {
    const carrier = new TlsCarrier((chunk, done) => socket.write(chunk, done));
    carrier.push(leftover);
    socket.on('data', (chunk: Buffer) => carrier.push(chunk));
    socket.on('close', () => carrier.destroy());
    transport = carrier;
  }
  const secure = serverTlsSocket(transport, context);
  socket.on('close', () => secure.destroy());
  await whenSecure(secure, device, hostId);
  return secure;
}

/**
 * A lockdown connection's session TLS: started on the same socket after the StartSession answer
 * went out in plaintext, and left after the StopSession answer, when the connection continues in
 * plaintext (libimobiledevice's lockdownd_stop_session disables SSL and keeps the connection). The
 * host's close_notify then arrives as TLS records before the next plaintext frame; they are
 * skipped. The device sends no close_notify of its own, so the host's next plaintext read sees
 * only lockdown frames.
 */
export class SessionTls {
  private readonly carrier: TlsCarrier;
  readonly socket: tls.TLSSocket;

  private constructor(carrier: TlsCarrier, socket: tls.TLSSocket) {
    this.carrier = carrier;
    this.socket = socket;
  }

  static async start(raw: Duplex, device: EmulatedDevice, hostId: string): Promise<SessionTls> {
    const context = await deviceSecureContext(device, hostId);
    const carrier = new TlsCarrier((chunk, done) => {
      if (raw.destroyed) done();
      else raw.write(chunk, done);
    });
    return new SessionTls(carrier, serverTlsSocket(carrier, context));
  }

  handshake(device: EmulatedDevice, hostId: string): Promise<void> {
    return whenSecure(this.socket, device, hostId);
  }

  /** Raw bytes from the host while the session is encrypted. */
  receive(chunk: Buffer): void {
    this.carrier.push(chunk);
  }

  /** Stops encrypting: nothing more goes out through TLS; the TLS socket is dropped without a close_notify. */
  detach(): void {
    this.carrier.detached = true;
    this.socket.destroy();
    this.carrier.destroy();
  }
}

/** Skips the TLS records (close_notify) a host sends after StopSession; returns the plaintext after them, or null while incomplete. */
export function skipTlsRecords(buffer: Buffer): { rest: Buffer; done: boolean } {
  let offset = 0;
  while (offset < buffer.length) {
    const type = buffer[offset]!;
    if (type < 20 || type > 23) return { rest: buffer.subarray(offset), done: true };
    if (buffer.length - offset < 5) break;
    const length = buffer.readUInt16BE(offset + 3);
    if (buffer.length - offset < 5 + length) break;
    offset += 5 + length;
  }
  return { rest: buffer.subarray(offset), done: false };
}

/** A fresh random id in Apple's uppercase UUID form (SessionID, BUID). */
export function appleUuid(): string {
  return crypto.randomUUID().toUpperCase();
}
