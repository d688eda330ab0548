import type { Duplex } from 'node:stream';
import type { LogLevel } from '../../logging/logger.js';
import { StepAbortedError } from '../step-errors.js';
import { IosLinkError, type IosDevice, type LockdownSession, type PairOptions } from './ios-link.js';
import { LOCKDOWN_PORT, LOCKDOWN_TYPE, LockdownConnection } from './lockdown/lockdown-connection.js';
import { TlsLockdownSession, startLockdownSession } from './lockdown/lockdown-session.js';
import { pairRecordFromPlist } from './lockdown/pair-record.js';
import { pairDevice } from './lockdown/pairing.js';
import { StreamPlistChannel } from './lockdown/plist-channel.js';
import type { UsbmuxClient } from './usbmux/usbmux-client.js';

export interface IosDeviceLinkOptions {
  client: UsbmuxClient;
  udid: string;
  /** usbmuxd's current id for the device: it changes when usbmuxd restarts while the device stays. */
  deviceId(): number;
  /** Aborted when the device leaves: every call on it ends with 'device-gone', every connection closes. */
  gone: AbortSignal;
  /** lockdownd's Label and Pair's HostName. */
  label: string;
  hostName: string;
  pendingPollMs: number;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** Pair records that cannot start a session: the device has to be paired (again). */
const NOT_PAIRED: ReadonlySet<string> = new Set(['not-paired', 'invalid-host-id', 'tls-failed']);

/**
 * One attached device over usbmuxd (the IosDevice the steps use). Each call opens its own
 * lockdownd connection; all of them close when the device leaves, and a call then rejects with
 * IosLinkError('device-gone'), while the caller's own abort rejects with StepAbortedError.
 */
export class UsbmuxIosDevice implements IosDevice {
  private readonly open = new Set<Duplex>();

  constructor(private readonly opts: IosDeviceLinkOptions) {
    opts.gone.addEventListener('abort', () => {
      for (const stream of this.open) stream.destroy();
      this.open.clear();
    });
  }

  get udid(): string {
    return this.opts.udid;
  }

  get deviceId(): number {
    return this.opts.deviceId();
  }

  async isPaired(signal: AbortSignal): Promise<boolean> {
    try {
      const session = await this.session(signal);
      session.close();
      return true;
    } catch (err) {
      if (err instanceof IosLinkError && NOT_PAIRED.has(err.kind)) return false;
      throw err;
    }
  }

  pair(options: PairOptions): Promise<void> {
    return this.guarded(options.signal, (signal) =>
      pairDevice(
        {
          udid: this.opts.udid,
          client: this.opts.client,
          deviceId: () => this.opts.deviceId(),
          openLockdown: (s) => this.openLockdown(s),
          hostName: this.opts.hostName,
          pendingPollMs: this.opts.pendingPollMs,
          log: (level, text, fields) => this.opts.log(level, text, fields),
        },
        { ...options, signal },
      ),
    );
  }

  session(signal: AbortSignal): Promise<LockdownSession> {
    return this.guarded(signal, async (s) => {
      const stored = await this.opts.client.readPairRecord(this.opts.udid, s);
      if (!stored) throw new IosLinkError('not-paired', `usbmuxd holds no pair record for ${this.opts.udid}`, 'NoPairRecord');
      const record = pairRecordFromPlist(stored, this.opts.udid);
      const connection = await this.openLockdown(s);
      try {
        const sessionId = await startLockdownSession(connection, record, s);
        this.keep(connection.channel.stream);
        return new TlsLockdownSession(
          connection,
          sessionId,
          record,
          (port, ps) => this.connectPort(port, ps),
          (callSignal, work) => this.guarded(callSignal, work),
        );
      } catch (err) {
        connection.close();
        throw err;
      }
    });
  }

  preflight(signal: AbortSignal): Promise<Pick<LockdownSession, 'getValue' | 'close'>> {
    return this.guarded(signal, async (s) => {
      const connection = await this.openLockdown(s);
      return {
        getValue: (domain, key, callSignal) => this.guarded(callSignal, (cs) => connection.getValue(domain, key, cs)),
        close: () => connection.close(),
      };
    });
  }

  /** A new lockdownd connection, checked to be in normal mode (not recovery or restore). */
  private async openLockdown(signal: AbortSignal): Promise<LockdownConnection> {
    const stream = await this.connectPort(LOCKDOWN_PORT, signal);
    const connection = new LockdownConnection(new StreamPlistChannel(stream, `lockdownd of ${this.opts.udid}`), this.opts.label, this.opts.udid);
    try {
      const type = await connection.queryType(signal);
      if (type !== LOCKDOWN_TYPE)
        throw new IosLinkError('protocol', `${this.opts.udid} is not in normal mode (lockdownd says ${type || 'nothing'})`, type || 'QueryType');
      return connection;
    } catch (err) {
      connection.close();
      throw err;
    }
  }

  private async connectPort(port: number, signal: AbortSignal): Promise<Duplex> {
    return this.keep(await this.opts.client.connect(this.opts.deviceId(), port, signal));
  }

  /** Tracks a connection so that the device leaving closes it. */
  private keep<T extends Duplex>(stream: T): T {
    if (this.opts.gone.aborted) {
      stream.destroy();
      throw this.goneError();
    }
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
    return stream;
  }

  /** Runs a call under the caller's signal (none: until the device leaves) and the device's presence, and says which of them ended it. */
  private async guarded<T>(signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.opts.gone.aborted) throw this.goneError();
    if (signal?.aborted) throw new StepAbortedError();
    try {
      return await work(signal ? AbortSignal.any([signal, this.opts.gone]) : this.opts.gone);
    } catch (err) {
      if (this.opts.gone.aborted) throw this.goneError();
      if (signal?.aborted) throw new StepAbortedError();
      throw err;
    }
  }

  private goneError(): IosLinkError {
    return new IosLinkError('device-gone', `${this.opts.udid} was unplugged`, 'Detached');
  }
}
