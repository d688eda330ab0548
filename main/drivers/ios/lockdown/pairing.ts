import crypto from 'node:crypto';
import type { LogLevel } from '../../../logging/logger.js';
import { StepAbortedError, sleep } from '../../step-errors.js';
import { IosLinkError, type PairOptions, type PlistDict, type SupervisorIdentity } from '../ios-link.js';
import { isPlistDict, plistData, plistString } from '../plist-codec.js';
import type { UsbmuxClient } from '../usbmux/usbmux-client.js';
import type { LockdownConnection } from './lockdown-connection.js';
import { pairRecordToPlist, pairRequestRecord, type PairRecord } from './pair-record.js';
import { createPairingCertificates } from './pairing-certificates.js';
import { signSupervisorChallenge, supervisorCertificateDer } from './supervisor-signature.js';

export interface PairingLink {
  udid: string;
  client: UsbmuxClient;
  /** The device's current usbmuxd id (SavePairRecord names it). */
  deviceId(): number;
  /** A new unpaired lockdownd connection. */
  openLockdown(signal: AbortSignal): Promise<LockdownConnection>;
  /** Sent as HostName, as Apple Configurator and pymobiledevice3 do; the device shows no name for it. */
  hostName: string;
  /** How often Pair is asked again while the Trust prompt shows (pymobiledevice3: every second). */
  pendingPollMs: number;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** How often a lockdownd connection that closes while the Trust prompt shows is opened again before giving up. */
const MAX_REOPENS = 5;

/**
 * Pairs the device (libimobiledevice lockdownd_pair, pymobiledevice3 pair / pair_supervised): new
 * certificates over the device's public key, Pair with ProtocolVersion 2 and extended errors, asked
 * again while the Trust prompt shows, and the record (with the keys and the returned EscrowBag)
 * saved through usbmuxd, where every tool finds it. With a supervision identity it first tries
 * supervised pairing (no Trust tap); a device that is not supervised by that identity shows the
 * prompt and is paired the ordinary way.
 */
export async function pairDevice(link: PairingLink, options: PairOptions): Promise<void> {
  const { signal } = options;
  let connection = await link.openLockdown(signal);
  try {
    const keyValue = await connection.getValue(null, 'DevicePublicKey', signal);
    const devicePublicKey = typeof keyValue === 'string' ? keyValue : Buffer.isBuffer(keyValue) ? keyValue.toString('utf8') : null;
    if (!devicePublicKey) throw new IosLinkError('protocol', `${link.udid} does not tell its DevicePublicKey`, 'DevicePublicKey');
    const wifi = await connection.getValue(null, 'WiFiAddress', signal).catch(() => undefined);
    const systemBuid = await link.client.readBuid(signal);
    const certs = await createPairingCertificates(devicePublicKey);
    const record: PairRecord = {
      deviceCertificate: Buffer.from(certs.deviceCertificatePem),
      hostCertificate: Buffer.from(certs.hostCertificatePem),
      hostPrivateKey: Buffer.from(certs.hostPrivateKeyPem),
      rootCertificate: Buffer.from(certs.rootCertificatePem),
      rootPrivateKey: Buffer.from(certs.rootPrivateKeyPem),
      hostId: crypto.randomUUID().toUpperCase(),
      systemBuid,
      escrowBag: null,
      wifiMacAddress: typeof wifi === 'string' ? wifi : null,
    };
    const request = (pairingOptions: PlistDict): PlistDict => ({
      PairRecord: pairRequestRecord(record),
      ProtocolVersion: '2',
      PairingOptions: { ExtendedPairingErrors: true, ...pairingOptions },
      HostName: link.hostName,
    });

    let answer = options.supervisor ? await supervisedPair(link, connection, request, options.supervisor, signal) : null;
    const supervised = answer !== null;
    if (!answer) {
      const trusted = await pairWithTrust(link, connection, request({}), options);
      connection = trusted.connection;
      answer = trusted.answer;
    }
    record.escrowBag = plistData(answer, 'EscrowBag');
    await link.client.savePairRecord(link.udid, link.deviceId(), pairRecordToPlist(record), signal);
    link.log('info', `paired with ${link.udid}${supervised ? ' (supervised, no Trust tap)' : ''}`, {
      hostId: record.hostId,
      escrowBag: record.escrowBag !== null,
    });
  } finally {
    connection.close();
  }
}

/** Pair, asked again every pendingPollMs while the device shows the Trust prompt; onTrustPrompt once. */
async function pairWithTrust(
  link: PairingLink,
  first: LockdownConnection,
  request: PlistDict,
  options: PairOptions,
): Promise<{ answer: PlistDict; connection: LockdownConnection }> {
  let connection = first;
  let prompted = false;
  let reopened = 0;
  for (;;) {
    try {
      return { answer: await connection.request('Pair', request, options.signal), connection };
    } catch (err) {
      if (err instanceof IosLinkError && err.kind === 'pairing-pending') {
        if (!prompted) {
          prompted = true;
          options.onTrustPrompt();
        }
        await sleep(link.pendingPollMs, options.signal);
        continue;
      }
      // lockdownd may drop a connection that waits long for the user; the device is still there if a new one opens.
      if (err instanceof IosLinkError && err.deviceReason === 'ConnectionClosed' && reopened < MAX_REOPENS && !options.signal.aborted) {
        reopened++;
        connection.close();
        connection = await link.openLockdown(options.signal);
        continue;
      }
      // The caller closes the connection it gave; one opened here is this loop's to close.
      if (connection !== first) connection.close();
      throw err;
    }
  }
}

/**
 * Pair with SupervisorCertificate; MCChallengeRequired brings PairingChallenge (inside
 * ExtendedResponse, as pymobiledevice3 reads it, or beside it), answered with the challenge signed
 * by the identity. Null when the device wants the Trust tap after all (not supervised by this identity).
 */
async function supervisedPair(
  link: PairingLink,
  connection: LockdownConnection,
  request: (options: PlistDict) => PlistDict,
  supervisor: SupervisorIdentity,
  signal: AbortSignal,
): Promise<PlistDict | null> {
  try {
    const first = await connection.request('Pair', request({ SupervisorCertificate: supervisorCertificateDer(supervisor) }), signal, ['MCChallengeRequired']);
    if (plistString(first, 'Error') !== 'MCChallengeRequired') return first;
    const extended = isPlistDict(first.ExtendedResponse) ? first.ExtendedResponse : null;
    const challenge = (extended ? plistData(extended, 'PairingChallenge') : null) ?? plistData(first, 'PairingChallenge');
    if (!challenge) throw new IosLinkError('protocol', `${link.udid} asked for a supervisor challenge response without a PairingChallenge`, 'PairingChallenge');
    return await connection.request('Pair', request({ ChallengeResponse: signSupervisorChallenge(challenge, supervisor) }), signal);
  } catch (err) {
    if (err instanceof StepAbortedError || (err instanceof IosLinkError && err.kind === 'device-gone')) throw err;
    const reason = err instanceof IosLinkError ? (err.deviceReason ?? err.message) : (err as Error).message;
    link.log('info', `supervised pairing with ${link.udid} did not work (${reason}); pairing with the Trust prompt`);
    return null;
  }
}
