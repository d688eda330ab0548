import type { Duplex } from 'node:stream';
import type { EmulatedDevice } from '../emulated-device.js';
import { decodePlistDict, frameLengthPrefixed, LengthPrefixedFrames, stringField, type PlistDict, type PlistOut, type PlistValue } from '../plist-wire.js';
import { appleUuid, SessionTls, skipTlsRecords } from './device-tls.js';
import { getValue } from './lockdown-values.js';
import { pair, unpair, validatePair, type PairingChallengeState } from './pairing.js';

/**
 * lockdownd on port 62078 of one emulated iPad: 4-byte big-endian length + XML plist, one request at
 * a time. Answers carry `Request`; failures carry `Error` (iOS 5+ sends no `Result`, and
 * libimobiledevice's lockdown_check_result takes a missing Error as success). StartSession answers
 * in plaintext and then expects the host's TLS handshake on the same socket; StopSession answers
 * through TLS and the connection goes back to plaintext.
 */

/** What lockdownd needs from the emulator around it. */
export interface LockdownHost {
  /** Opens a one-connection port for `service` (StartService); null when the device offers no such service. */
  openServicePort(device: EmulatedDevice, service: string, hostId: string): number | null;
}

type Mode = 'plain' | 'tls' | 'leaving-tls';

class LockdownConnection implements PairingChallengeState {
  private readonly raw: Duplex;
  private readonly device: EmulatedDevice;
  private readonly host: LockdownHost;
  private mode: Mode = 'plain';
  private readonly plainFrames = new LengthPrefixedFrames();
  private tlsFrames = new LengthPrefixedFrames();
  private skipped: Buffer = Buffer.alloc(0);
  private session: { id: string; hostId: string; tls: SessionTls } | null = null;
  private queue: Promise<void> = Promise.resolve();
  challenge: PairingChallengeState['challenge'] = null;

  constructor(raw: Duplex, device: EmulatedDevice, host: LockdownHost) {
    this.raw = raw;
    this.device = device;
    this.host = host;
  }

  start(leftover: Buffer): void {
    this.raw.on('data', (chunk: Buffer) => this.onRaw(chunk));
    this.raw.on('close', () => this.session?.tls.detach());
    if (leftover.length > 0) this.onRaw(leftover);
  }

  private fail(reason: string): void {
    this.device.env.log(`lockdown connection closed: ${reason}`);
    this.raw.destroy();
  }

  private onRaw(chunk: Buffer): void {
    if (this.mode === 'tls') {
      this.session?.tls.receive(chunk);
      return;
    }
    if (this.mode === 'leaving-tls') {
      const { rest, done } = skipTlsRecords(this.skipped.length ? Buffer.concat([this.skipped, chunk]) : chunk);
      if (!done) {
        this.skipped = rest;
        return;
      }
      this.skipped = Buffer.alloc(0);
      this.mode = 'plain';
      chunk = rest;
    }
    this.acceptFrames(this.plainFrames, chunk);
  }

  private acceptFrames(frames: LengthPrefixedFrames, chunk: Buffer): void {
    let bodies: Buffer[];
    try {
      bodies = frames.push(chunk);
    } catch (error) {
      this.fail((error as Error).message);
      return;
    }
    for (const body of bodies) {
      this.queue = this.queue.then(() => this.handle(body)).catch((error: unknown) => this.fail((error as Error).message));
    }
  }

  private send(message: PlistOut): Promise<void> {
    const frame = frameLengthPrefixed(message);
    const stream: Duplex = this.mode === 'tls' && this.session ? this.session.tls.socket : this.raw;
    return new Promise((resolve) => {
      if (stream.destroyed) resolve();
      else stream.write(frame, () => resolve());
    });
  }

  private async handle(body: Buffer): Promise<void> {
    const request = decodePlistDict(body);
    const verb = stringField(request, 'Request');
    if (!verb) {
      await this.send({ Error: 'MissingRequest' });
      return;
    }
    switch (verb) {
      case 'QueryType':
        await this.send({ Request: verb, Type: 'com.apple.mobile.lockdown' });
        return;
      case 'GetValue':
        await this.send(await this.getValue(request));
        return;
      case 'SetValue':
        await this.send(this.setValue(request));
        return;
      case 'RemoveValue':
        await this.send(this.removeValue(request));
        return;
      case 'Pair':
        await this.send(await pair(this.device, request, this));
        return;
      case 'ValidatePair':
        await this.send(validatePair(this.device, request));
        return;
      case 'Unpair':
        await this.send(unpair(this.device, request));
        return;
      case 'StartSession':
        await this.startSession(request);
        return;
      case 'StopSession':
        await this.stopSession(request);
        return;
      case 'StartService':
        await this.send(this.startService(request));
        return;
      case 'Goodbye':
        await this.send({ Request: verb, Result: 'Success' });
        this.raw.end();
        return;
      default:
        await this.send({ Request: verb, Error: 'InvalidRequest' });
    }
  }

  private async getValue(request: PlistDict): Promise<Record<string, PlistOut>> {
    const domain = stringField(request, 'Domain') ?? null;
    const key = stringField(request, 'Key') ?? null;
    const answer: Record<string, PlistOut> = { Request: 'GetValue', Domain: domain, Key: key };
    const result = await getValue(this.device, domain, key, this.session !== null);
    if ('error' in result) answer['Error'] = result.error;
    else answer['Value'] = result.value;
    return answer;
  }

  private setValue(request: PlistDict): Record<string, PlistOut> {
    const domain = stringField(request, 'Domain') ?? '';
    const key = stringField(request, 'Key');
    const value = request['Value'];
    const answer: Record<string, PlistOut> = { Request: 'SetValue', Domain: domain || null, Key: key ?? null };
    if (!this.session) return { ...answer, Error: 'SetProhibited' };
    if (!key || value === undefined) return { ...answer, Error: 'MissingKey' };
    if (domain === '' && key === 'DeviceName') {
      if (typeof value !== 'string' || value.trim() === '') return { ...answer, Error: 'InvalidValue' };
      this.device.state.deviceName = value;
      this.device.env.log(`renamed to ${value}`);
      return answer;
    }
    if (domain === '' && IMMUTABLE_GLOBAL_KEYS.has(key)) return { ...answer, Error: 'ImmutableValue' };
    this.overlay(domain).set(key, value);
    return answer;
  }

  private removeValue(request: PlistDict): Record<string, PlistOut> {
    const domain = stringField(request, 'Domain') ?? '';
    const key = stringField(request, 'Key');
    const answer: Record<string, PlistOut> = { Request: 'RemoveValue', Domain: domain || null, Key: key ?? null };
    if (!this.session) return { ...answer, Error: 'RemoveProhibited' };
    if (key) this.overlay(domain).delete(key);
    return answer;
  }

  private overlay(domain: string): Map<string, PlistValue> {
    let values = this.device.valueOverlay.get(domain);
    if (!values) {
      values = new Map();
      this.device.valueOverlay.set(domain, values);
    }
    return values;
  }

  private async startSession(request: PlistDict): Promise<void> {
    const hostId = stringField(request, 'HostID');
    if (this.session) {
      await this.send({ Request: 'StartSession', Error: 'SessionActive' });
      return;
    }
    if (!hostId) {
      await this.send({ Request: 'StartSession', Error: 'MissingHostID' });
      return;
    }
    if (!this.device.state.pairedHosts.has(hostId)) {
      await this.send({ Request: 'StartSession', Error: 'InvalidHostID' });
      return;
    }
    // Prepared before answering: the host's ClientHello follows the answer at once.
    const tls = await SessionTls.start(this.raw, this.device, hostId);
    const id = appleUuid();
    this.session = { id, hostId, tls };
    this.tlsFrames = new LengthPrefixedFrames();
    tls.socket.on('data', (chunk: Buffer) => this.acceptFrames(this.tlsFrames, chunk));
    tls.handshake(this.device, hostId).catch((error: unknown) => this.fail((error as Error).message));
    const answered = this.send({ Request: 'StartSession', SessionID: id, EnableSessionSSL: true });
    this.mode = 'tls';
    const early = this.plainFrames.takeRest();
    if (early.length > 0) tls.receive(early);
    await answered;
  }

  private async stopSession(request: PlistDict): Promise<void> {
    const session = this.session;
    if (!session) {
      await this.send({ Request: 'StopSession', Error: 'SessionInactive' });
      return;
    }
    if (stringField(request, 'SessionID') !== session.id) {
      await this.send({ Request: 'StopSession', Error: 'InvalidSessionID' });
      return;
    }
    const answered = this.send({ Request: 'StopSession' });
    // From here the host's bytes are its close_notify, then plaintext.
    this.mode = 'leaving-tls';
    await answered;
    session.tls.detach();
    this.session = null;
  }

  private startService(request: PlistDict): Record<string, PlistOut> {
    const service = stringField(request, 'Service');
    if (!service) return { Request: 'StartService', Error: 'MissingService' };
    if (!this.session) return { Request: 'StartService', Service: service, Error: 'SessionInactive' };
    const port = this.host.openServicePort(this.device, service, this.session.hostId);
    if (port === null) return { Request: 'StartService', Service: service, Error: 'InvalidService' };
    this.device.env.log(`service ${service} on port ${port}`);
    return { Request: 'StartService', Service: service, Port: port, EnableServiceSSL: true };
  }
}

/** Keys of the global domain that SetValue may not change (assumed: identity and hardware facts). */
const IMMUTABLE_GLOBAL_KEYS = new Set([
  'UniqueDeviceID',
  'SerialNumber',
  'ProductType',
  'ProductVersion',
  'BuildVersion',
  'DeviceClass',
  'DevicePublicKey',
  'ActivationState',
  'WiFiAddress',
  'UniqueChipID',
]);

/** Serves lockdownd on a socket usbmuxd piped to port 62078. `leftover`: bytes already read after Connect. */
export function serveLockdown(raw: Duplex, leftover: Buffer, device: EmulatedDevice, host: LockdownHost): void {
  new LockdownConnection(raw, device, host).start(leftover);
}
