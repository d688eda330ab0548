import crypto from 'node:crypto';
import type { EmulatedDevice } from '../emulated-device.js';
import { dataField, dictField, stringField, type PlistDict, type PlistOut } from '../plist-wire.js';
import { certificateDer, certificateHasKey } from './device-keys.js';
import { verifyPkcs7Signature } from './pkcs7-verify.js';

/**
 * lockdownd's Pair, ValidatePair and Unpair (libimobiledevice lockdown.c lockdownd_do_pair, go-ios
 * ios/pair.go, pymobiledevice3 lockdown.py pair / pair_supervised):
 * - On a set-up device Pair shows the Trust prompt: PairingDialogResponsePending until the user answers, which the
 *   emulator does trustAfterSeconds (scaled) after the first attempt; then success, or
 *   UserDeniedPairing with faults.denyTrust. A passcode (faults.passcode) answers PasswordProtected
 *   first. The prompt closes when the device leaves the bus.
 * - Supervised pairing: Pair with PairingOptions.SupervisorCertificate of the device's supervisor
 *   answers MCChallengeRequired + ExtendedResponse.PairingChallenge; Pair with
 *   PairingOptions.ChallengeResponse (PKCS#7 signature of the challenge by that supervisor) pairs
 *   without the prompt.
 * - Success answers {Request:"Pair", EscrowBag}; the host saves the record through usbmuxd.
 */

/** What one lockdown connection remembers between the two supervised Pair requests. */
export interface PairingChallengeState {
  challenge: { value: Buffer; supervisorCertificate: Buffer } | null;
}

type PairAnswer = Record<string, PlistOut>;

function failure(verb: string, error: string, extra: Record<string, PlistOut> = {}): PairAnswer {
  return { Request: verb, Error: error, ...extra };
}

/** The supervisor certificate (DER) in the device's cloud configuration that equals `certificate`, if any. */
function matchingSupervisor(device: EmulatedDevice, certificate: Buffer): Buffer | null {
  const wanted = certificateDer(certificate);
  const configured = device.state.cloudConfiguration?.['SupervisorHostCertificates'];
  if (!wanted || !Array.isArray(configured)) return null;
  for (const entry of configured) {
    const der = Buffer.isBuffer(entry) || typeof entry === 'string' ? certificateDer(entry) : null;
    if (der?.equals(wanted)) return der;
  }
  return null;
}

async function acceptPairRecord(device: EmulatedDevice, record: PlistDict, hostId: string): Promise<PairAnswer> {
  const hostCertificate = dataField(record, 'HostCertificate');
  const rootCertificate = dataField(record, 'RootCertificate');
  const deviceCertificate = dataField(record, 'DeviceCertificate');
  if (!hostCertificate || !rootCertificate || !deviceCertificate || !certificateDer(hostCertificate) || !certificateDer(rootCertificate)) {
    device.env.log('Pair refused: the pair record lacks a readable host, root or device certificate');
    return failure('Pair', 'InvalidPairRecord');
  }
  if (!certificateHasKey(deviceCertificate, await device.keys())) {
    device.env.log(`Pair refused: the DeviceCertificate does not carry this device's public key`);
    return failure('Pair', 'InvalidPairRecord');
  }
  device.state.pairedHosts.set(hostId, {
    hostCertificatePem: hostCertificate.toString('utf8'),
    rootCertificatePem: rootCertificate.toString('utf8'),
  });
  device.deviceCertificates.set(hostId, deviceCertificate);
  device.env.log(`paired with host ${hostId}`);
  // The escrow bag is the device's keybag for this host; its content is opaque to hosts.
  return { Request: 'Pair', EscrowBag: crypto.randomBytes(128) };
}

/** Where the Trust prompt stands: null while it still shows, else the user's answer. */
function trustAnswer(device: EmulatedDevice): 'trusted' | 'denied' | null {
  const now = Date.now();
  if (device.trustPromptSince === null) {
    device.trustPromptSince = now;
    device.env.log('Trust prompt shown');
  }
  if (now - device.trustPromptSince < device.env.scaled(device.state.trustAfterSeconds * 1000)) return null;
  device.trustPromptSince = null;
  return device.state.faults.denyTrust ? 'denied' : 'trusted';
}

export async function pair(device: EmulatedDevice, request: PlistDict, connection: PairingChallengeState): Promise<PairAnswer> {
  const record = dictField(request, 'PairRecord');
  const hostId = record ? stringField(record, 'HostID') : undefined;
  if (!record) return failure('Pair', 'MissingPairRecord');
  if (!hostId) return failure('Pair', 'MissingHostID');
  const options = dictField(request, 'PairingOptions') ?? {};

  const challengeResponse = dataField(options, 'ChallengeResponse');
  if (challengeResponse) {
    const pending = connection.challenge;
    connection.challenge = null;
    if (!pending) return failure('Pair', 'MCChallengeRequired');
    const check = verifyPkcs7Signature(challengeResponse, pending.value, pending.supervisorCertificate);
    device.env.log(`supervised pairing challenge: ${check.reason}`);
    // Assumed: a wrong signature is refused as an invalid pair record (the real error string is unconfirmed).
    if (!check.ok) return failure('Pair', 'InvalidPairRecord');
    return acceptPairRecord(device, record, hostId);
  }

  const supervisorCertificate = dataField(options, 'SupervisorCertificate');
  if (supervisorCertificate) {
    const supervisor = matchingSupervisor(device, supervisorCertificate);
    if (supervisor) {
      const challenge = crypto.randomBytes(32);
      connection.challenge = { value: challenge, supervisorCertificate: supervisor };
      return failure('Pair', 'MCChallengeRequired', { ExtendedResponse: { PairingChallenge: challenge } });
    }
    // Assumed: a certificate that does not supervise this device falls back to the Trust prompt.
  }

  // Assumed: in Setup Assistant (after an erase) there is no Trust dialog and no passcode yet, so
  // lockdownd pairs at once; this is how Apple Configurator prepares freshly erased devices unattended.
  if (!device.state.setupDone) return acceptPairRecord(device, record, hostId);
  if (device.state.faults.passcode) return failure('Pair', 'PasswordProtected');
  const known = device.state.pairedHosts.get(hostId);
  const hostCertificate = dataField(record, 'HostCertificate');
  if (known && hostCertificate && certificateDer(known.hostCertificatePem)?.equals(certificateDer(hostCertificate) ?? Buffer.alloc(0))) {
    return acceptPairRecord(device, record, hostId);
  }
  // Assumed: a supervised device that disallows pairing (AllowPairing false) refuses other hosts with MCProtected.
  if (device.state.cloudConfiguration && device.state.cloudConfiguration['AllowPairing'] === false) return failure('Pair', 'MCProtected');
  const answer = trustAnswer(device);
  if (answer === null) return failure('Pair', 'PairingDialogResponsePending');
  if (answer === 'denied') return failure('Pair', 'UserDeniedPairing');
  return acceptPairRecord(device, record, hostId);
}

function requestHostId(request: PlistDict): string | undefined {
  const record = dictField(request, 'PairRecord');
  return (record && stringField(record, 'HostID')) ?? stringField(request, 'HostID');
}

export function validatePair(device: EmulatedDevice, request: PlistDict): PairAnswer {
  const hostId = requestHostId(request);
  if (!hostId) return failure('ValidatePair', 'MissingHostID');
  if (!device.state.pairedHosts.has(hostId)) return failure('ValidatePair', 'InvalidHostID');
  return { Request: 'ValidatePair' };
}

export function unpair(device: EmulatedDevice, request: PlistDict): PairAnswer {
  const hostId = requestHostId(request);
  if (!hostId) return failure('Unpair', 'MissingHostID');
  if (!device.state.pairedHosts.delete(hostId)) return failure('Unpair', 'InvalidHostID');
  device.deviceCertificates.delete(hostId);
  device.env.log(`unpaired host ${hostId}`);
  return { Request: 'Unpair' };
}
