import { randomBytes } from 'node:crypto';
import type { EmulatedIpadState, EmulatorEnv, ServiceHandler } from '../emulated-ipad.js';
import { extrasOf } from './device-extras.js';
import { eraseDeviceState } from './device-reset.js';
import { dataField, delay, dictFromBytes, isPlistDict, servePlistRequests, stringField, type PlistDict } from './plist-service.js';
import { newInstalledProfile, profileListAnswer, readProfile } from './profiles.js';
import { finishSetupIfComplete, isSupervisorCertificate, POST_SETUP_PURPOSE } from './supervision.js';
import { verifyPkcs7Signature } from '../lockdown/pkcs7-verify.js';
import { REAL_DEVICE_MS } from './timings.js';

/**
 * com.apple.mobile.MCInstall (pymobiledevice3 services/mobile_config.py, go-ios ios/mcinstall/):
 * requests carry `RequestType`; success is `Status: Acknowledged` (plus the answer's keys), failure
 * `Status: Error` with `ErrorChain: [{ErrorDomain, ErrorCode, LocalizedDescription}]`.
 * Escalation lasts for the connection: Escalate{SupervisorCertificate} -> Challenge,
 * EscalateResponse{SignedRequest} (PKCS#7 over the challenge), ProceedWithKeybagMigration; only then
 * InstallProfileSilent and removing a PayloadRemovalDisallowed profile are allowed.
 */

interface McError {
  domain: string;
  code: number;
  text: string;
}

/**
 * The failures the emulated device reports. 14002 is public (pymobiledevice3
 * ERROR_CLOUD_CONFIGURATION_ALREADY_PRESENT, go-ios #695); the other domains and codes are ASSUMED
 * (Apple documents ErrorChain's shape, not MCInstall's codes): clients should map 14002 by code and
 * show the LocalizedDescription for the rest.
 */
export const MC_ERRORS = {
  malformedProfile: { domain: 'MCProfileErrorDomain', code: 1000, text: 'The profile is not a valid configuration profile.' },
  unknownRequest: { domain: 'MCInstallationErrorDomain', code: 4000, text: 'The request is not supported.' },
  profileNotInstalled: { domain: 'MCInstallationErrorDomain', code: 4001, text: 'The profile is not installed.' },
  removalDisallowed: { domain: 'MCInstallationErrorDomain', code: 4002, text: 'The profile cannot be removed without the supervisor.' },
  certificateRejected: { domain: 'MCInstallationErrorDomain', code: 4017, text: 'CertificateRejected: the certificate does not supervise this device.' },
  challengeRejected: { domain: 'MCInstallationErrorDomain', code: 4018, text: 'The challenge response was not accepted.' },
  notEscalated: { domain: 'MCInstallationErrorDomain', code: 4023, text: 'Silent installation needs the supervisor: Escalate first.' },
  malformedCloudConfiguration: { domain: 'MCCloudConfigErrorDomain', code: 14001, text: 'The cloud configuration is not valid.' },
  cloudConfigurationPresent: { domain: 'MCCloudConfigErrorDomain', code: 14002, text: 'A cloud configuration is already present on this device.' },
  notActivated: { domain: 'MCCloudConfigErrorDomain', code: 14006, text: 'The device must be activated before it is configured.' },
} as const satisfies Record<string, McError>;

function failure(error: McError, detail?: string): PlistDict {
  return {
    Status: 'Error',
    ErrorChain: [{ ErrorDomain: error.domain, ErrorCode: error.code, LocalizedDescription: detail ? `${error.text} (${detail})` : error.text }],
  };
}

const ACKNOWLEDGED: PlistDict = { Status: 'Acknowledged' };

interface Escalation {
  /** The supervisor certificate of the pending Escalate, and the challenge it got. */
  pending: { certificate: Buffer; challenge: Buffer } | null;
  escalated: boolean;
}

/** RemoveProfile's ProfileIdentifier: go-ios sends the identifier, pymobiledevice3 a small plist naming it. */
function profileIdentifierOf(request: PlistDict): string | null {
  const text = stringField(request, 'ProfileIdentifier');
  if (text) return text;
  const data = dataField(request, 'ProfileIdentifier');
  const dict = data ? dictFromBytes(data) : null;
  return (dict && stringField(dict, 'PayloadIdentifier')) ?? null;
}

async function installProfile(device: EmulatedIpadState, env: EmulatorEnv, payload: Buffer | null, silent: boolean): Promise<PlistDict> {
  const read = payload ? readProfile(payload) : null;
  if (!payload || !read) return failure(MC_ERRORS.malformedProfile);
  await delay(env.scaled(silent ? REAL_DEVICE_MS.profileInstallSilent : REAL_DEVICE_MS.profileInstall));
  // A set-up device shows a non-silent profile in Settings and installs it only when the user approves.
  const approved = silent || !device.setupDone || !device.faults.profilesNeedApproval;
  device.profiles.set(read.facts.identifier, newInstalledProfile(read.facts, payload, approved, silent));
  env.log(`profile ${read.facts.identifier} ${approved ? 'installed' : 'waiting for approval'}${silent ? ' (silent)' : ''}`);
  return ACKNOWLEDGED;
}

async function removeProfile(device: EmulatedIpadState, env: EmulatorEnv, identifier: string | null, escalation: Escalation): Promise<PlistDict> {
  const installed = identifier ? device.profiles.get(identifier) : undefined;
  if (!identifier || !installed) return failure(MC_ERRORS.profileNotInstalled, identifier ?? 'no ProfileIdentifier');
  if (readProfile(installed.payload)?.facts.removalDisallowed && !escalation.escalated) return failure(MC_ERRORS.removalDisallowed, identifier);
  await delay(env.scaled(REAL_DEVICE_MS.profileRemove));
  device.profiles.delete(identifier);
  return ACKNOWLEDGED;
}

async function setCloudConfiguration(device: EmulatedIpadState, env: EmulatorEnv, request: PlistDict): Promise<PlistDict> {
  const sent = request['CloudConfiguration'];
  const configuration = Buffer.isBuffer(sent) ? dictFromBytes(sent) : isPlistDict(sent) ? sent : null;
  if (!configuration) return failure(MC_ERRORS.malformedCloudConfiguration);
  if (device.activationState === 'Unactivated') return failure(MC_ERRORS.notActivated);
  // Supervision only happens in Setup Assistant: a device that is set up, or already configured, must be erased first.
  if (device.cloudConfiguration || device.setupDone) return failure(MC_ERRORS.cloudConfigurationPresent);
  await delay(env.scaled(REAL_DEVICE_MS.setCloudConfiguration));
  device.cloudConfiguration = { ...configuration };
  env.log(`cloud configuration set${configuration['IsSupervised'] === true ? ' (supervised)' : ''}`);
  finishSetupIfComplete(device, env, configuration['CloudConfigurationUIComplete'] === true);
  return ACKNOWLEDGED;
}

function escalate(device: EmulatedIpadState, request: PlistDict, escalation: Escalation): PlistDict {
  escalation.escalated = false;
  escalation.pending = null;
  const certificate = dataField(request, 'SupervisorCertificate');
  if (!certificate || !isSupervisorCertificate(device, certificate)) return failure(MC_ERRORS.certificateRejected);
  const challenge = randomBytes(32);
  escalation.pending = { certificate, challenge };
  return { Status: 'Acknowledged', Challenge: challenge };
}

function escalateResponse(request: PlistDict, escalation: Escalation): PlistDict {
  const pending = escalation.pending;
  escalation.pending = null;
  const signed = dataField(request, 'SignedRequest');
  if (!pending || !signed) return failure(MC_ERRORS.challengeRejected, 'no Escalate before');
  const verdict = verifyPkcs7Signature(signed, pending.challenge, pending.certificate);
  if (!verdict.ok) return failure(MC_ERRORS.challengeRejected, verdict.reason);
  escalation.escalated = true;
  return ACKNOWLEDGED;
}

function eraseDevice(device: EmulatedIpadState, env: EmulatorEnv): void {
  // The answer goes out first; the device leaves a moment later, which closes this connection too.
  setTimeout(() => {
    env.log(`erasing`);
    eraseDeviceState(device);
    env.reboot(REAL_DEVICE_MS.eraseAway);
  }, env.scaled(REAL_DEVICE_MS.eraseBegins));
}

async function answer(device: EmulatedIpadState, env: EmulatorEnv, request: PlistDict, escalation: Escalation): Promise<PlistDict> {
  switch (stringField(request, 'RequestType')) {
    case 'Flush':
    case 'HelloHostIdentifier':
      return ACKNOWLEDGED;
    case 'ProceedWithKeybagMigration':
      return ACKNOWLEDGED;
    case 'GetProfileList':
      return profileListAnswer(device);
    case 'InstallProfile':
      return installProfile(device, env, dataField(request, 'Payload') ?? null, false);
    case 'InstallProfileSilent':
      if (!escalation.escalated) return failure(MC_ERRORS.notEscalated);
      return installProfile(device, env, dataField(request, 'Payload') ?? null, true);
    case 'RemoveProfile':
      return removeProfile(device, env, profileIdentifierOf(request), escalation);
    case 'Escalate':
      return escalate(device, request, escalation);
    case 'EscalateResponse':
      return escalateResponse(request, escalation);
    case 'GetCloudConfiguration':
      return device.cloudConfiguration ? { Status: 'Acknowledged', CloudConfiguration: device.cloudConfiguration as PlistDict } : ACKNOWLEDGED;
    case 'SetCloudConfiguration':
      return setCloudConfiguration(device, env, request);
    case 'StoreProfile': {
      const data = dataField(request, 'ProfileData');
      if (!data || !readProfile(data)) return failure(MC_ERRORS.malformedProfile);
      extrasOf(device).storedProfiles.set(stringField(request, 'Purpose') ?? POST_SETUP_PURPOSE, data);
      return ACKNOWLEDGED;
    }
    case 'GetStoredProfile': {
      const stored = extrasOf(device).storedProfiles.get(stringField(request, 'Purpose') ?? POST_SETUP_PURPOSE);
      return stored ? { Status: 'Acknowledged', ProfileData: stored } : ACKNOWLEDGED;
    }
    case 'EraseDevice':
      eraseDevice(device, env);
      return ACKNOWLEDGED;
    default:
      return failure(MC_ERRORS.unknownRequest, stringField(request, 'RequestType') ?? 'no RequestType');
  }
}

export const mcInstallService: ServiceHandler = (stream, device, env) => {
  const escalation: Escalation = { pending: null, escalated: false };
  servePlistRequests(stream, env, 'MCInstall', async (request, conn) => {
    conn.send(await answer(device, env, request, escalation));
  });
};
