import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { IosLinkError, type LockdownSession, type PlistValue, type ServiceConnection } from '../ios-link.js';
import { plistInteger, plistString } from '../plist-codec.js';
import type { LockdownConnection } from './lockdown-connection.js';
import type { PairRecord } from './pair-record.js';
import { StreamPlistChannel } from './plist-channel.js';
import { startTls } from './tls-upgrade.js';

/** Opens a new usbmuxd connection to a port of the device (StartService's port). */
export type DevicePortConnector = (port: number, signal: AbortSignal) => Promise<Duplex>;

/**
 * StartSession on an open lockdownd connection and TLS on the same socket. A device that offers a
 * session without TLS is refused: nothing goes in plaintext once a session has started.
 */
export async function startLockdownSession(connection: LockdownConnection, record: PairRecord, signal: AbortSignal): Promise<string> {
  const answer = await connection.request('StartSession', { HostID: record.hostId, SystemBUID: record.systemBuid }, signal);
  const sessionId = plistString(answer, 'SessionID') ?? '';
  if (answer.EnableSessionSSL !== true) {
    throw new IosLinkError('tls-failed', `lockdownd of ${connection.udid} offered a session without TLS; refused`, 'EnableSessionSSL=false');
  }
  const raw = connection.channel.detach();
  const secure = await startTls(raw, record, signal, `lockdownd of ${connection.udid}`);
  connection.useChannel(new StreamPlistChannel(secure, `lockdownd of ${connection.udid}`));
  return sessionId;
}

/** A service's connection: the (TLS-wrapped) stream and the plist framing over it. */
export class StreamServiceConnection implements ServiceConnection {
  readonly plist: StreamPlistChannel;

  constructor(
    readonly name: string,
    readonly stream: Duplex,
  ) {
    this.plist = new StreamPlistChannel(stream, name);
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Runs a call under a signal and the device's presence, and says which ended it (the device's guard). */
export type DeviceCallGuard = <T>(signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** A started lockdown session: GetValue, SetValue and StartService inside TLS. */
export class TlsLockdownSession implements LockdownSession {
  private closed = false;

  constructor(
    private readonly connection: LockdownConnection,
    private readonly sessionId: string,
    private readonly record: PairRecord,
    private readonly connectPort: DevicePortConnector,
    private readonly guard: DeviceCallGuard,
  ) {}

  /** The TLS version the session runs on ("TLSv1.3"), for diagnostics. */
  get tlsProtocol(): string | null {
    const stream = this.connection.channel.stream;
    return stream instanceof tls.TLSSocket ? stream.getProtocol() : null;
  }

  getValue(domain: string | null, key: string | null, signal?: AbortSignal): Promise<PlistValue | undefined> {
    return this.guard(signal, (s) => this.connection.getValue(domain, key, s));
  }

  setValue(domain: string | null, key: string, value: PlistValue, signal?: AbortSignal): Promise<void> {
    return this.guard(signal, (s) => this.connection.setValue(domain, key, value, s));
  }

  startService(service: string, signal?: AbortSignal): Promise<ServiceConnection> {
    return this.guard(signal, (s) => this.startServiceNow(service, s));
  }

  private async startServiceNow(service: string, s: AbortSignal): Promise<ServiceConnection> {
    const answer = await this.connection.request('StartService', { Service: service }, s);
    const port = plistInteger(answer, 'Port');
    if (port === null || port <= 0 || port > 65535) throw new IosLinkError('protocol', `lockdownd started ${service} without a port`, 'NoPort');
    const raw = await this.connectPort(port, s);
    if (answer.EnableServiceSSL !== true) return new StreamServiceConnection(service, raw);
    try {
      return new StreamServiceConnection(service, await startTls(raw, this.record, s, service));
    } catch (err) {
      raw.destroy();
      throw err;
    }
  }

  /** StopSession (inside TLS, as the device expects), then the connection closes; nothing waits for it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.connection
      .request('StopSession', { SessionID: this.sessionId }, AbortSignal.timeout(2000))
      .catch(() => undefined)
      .finally(() => this.connection.close());
  }
}
