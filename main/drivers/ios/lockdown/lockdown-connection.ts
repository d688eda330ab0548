import { IosLinkError, type IosLinkErrorKind, type PlistDict, type PlistValue } from '../ios-link.js';
import { plistString } from '../plist-codec.js';
import type { StreamPlistChannel } from './plist-channel.js';

/** lockdownd's port on every device. */
export const LOCKDOWN_PORT = 62078;
/** What QueryType answers in normal mode (not recovery, not restore). */
export const LOCKDOWN_TYPE = 'com.apple.mobile.lockdown';

/** lockdownd's Error strings (libimobiledevice src/lockdown.c, pymobiledevice3 lockdown.py) by what they mean for us. */
const ERROR_KINDS: Readonly<Record<string, IosLinkErrorKind>> = {
  PairingDialogResponsePending: 'pairing-pending',
  UserDeniedPairing: 'pairing-denied',
  PasswordProtected: 'password-protected',
  InvalidHostID: 'invalid-host-id',
  InvalidService: 'service-refused',
  ServiceProhibited: 'service-refused',
};

export function lockdownErrorKind(error: string): IosLinkErrorKind {
  return ERROR_KINDS[error] ?? 'protocol';
}

/** One connection to lockdownd: requests one at a time (answers carry no id), `Label` on each as libimobiledevice sends it. */
export class LockdownConnection {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private current: StreamPlistChannel,
    private readonly label: string,
    /** For messages: whose lockdownd this is. */
    readonly udid: string,
  ) {}

  get channel(): StreamPlistChannel {
    return this.current;
  }

  /** After StartSession the same connection goes on inside TLS. */
  useChannel(channel: StreamPlistChannel): void {
    this.current = channel;
  }

  /**
   * Sends `Request` and reads its answer. An `Error` in the answer throws an IosLinkError with the
   * device's word for it as deviceReason, unless `accepted` lists it (Pair reads
   * MCChallengeRequired as the next step, not a failure).
   */
  request(request: string, fields: PlistDict, signal: AbortSignal, accepted: readonly string[] = []): Promise<PlistDict> {
    const run = async () => {
      await this.current.send({ Label: this.label, Request: request, ...fields });
      const answer = await this.current.receive(signal);
      const error = plistString(answer, 'Error');
      if (error !== null && !accepted.includes(error)) {
        throw new IosLinkError(lockdownErrorKind(error), `lockdownd of ${this.udid} refused ${request}: ${error}`, error);
      }
      const echoed = plistString(answer, 'Request');
      if (echoed !== null && echoed !== request) throw new IosLinkError('protocol', `lockdownd of ${this.udid} answered ${echoed} to ${request}`, echoed);
      return answer;
    };
    const result = this.turn.then(run, run);
    this.turn = result.catch(() => undefined);
    return result;
  }

  async queryType(signal: AbortSignal): Promise<string> {
    const answer = await this.request('QueryType', {}, signal);
    return plistString(answer, 'Type') ?? '';
  }

  /** A value (domain null: the global domain; key null: the whole domain); undefined when the device has none (MissingValue). */
  async getValue(domain: string | null, key: string | null, signal: AbortSignal): Promise<PlistValue | undefined> {
    const fields: PlistDict = {};
    if (domain !== null) fields.Domain = domain;
    if (key !== null) fields.Key = key;
    const answer = await this.request('GetValue', fields, signal, ['MissingValue']);
    return plistString(answer, 'Error') === 'MissingValue' ? undefined : answer.Value;
  }

  async setValue(domain: string | null, key: string, value: PlistValue, signal: AbortSignal): Promise<void> {
    const fields: PlistDict = { Key: key, Value: value };
    if (domain !== null) fields.Domain = domain;
    await this.request('SetValue', fields, signal);
  }

  close(): void {
    this.current.close();
  }
}
