/*
 * com.apple.mobileactivationd: the session ("Tunnel1") activation that iOS 10 and later devices do,
 * as pymobiledevice3 services/mobile_activation.py (MobileActivationService.activate) and
 * libideviceactivation's ideviceactivation drive it. Each command is one plist request {Command,
 * Value?} answered with {Value} or {Error}; pymobiledevice3 opens a new service connection per
 * command.
 *
 *  1. GetActivationStateRequest                 -> {Value: "Unactivated" | "Activated"}
 *  2. CreateTunnel1SessionInfoRequest           -> {Value: {HandshakeRequestMessage, UniqueDeviceID, ...}}
 *       (a new HandshakeRequestMessage every time; pymobiledevice3 waits for it to change)
 *  3. host POSTs that Value as an XML plist (Content-Type application/x-apple-plist) to
 *     <activation server>/deviceservices/drmHandshake   -> plist {HandshakeResponseMessage, serverKP, ...}
 *  4. CreateTunnel1ActivationInfoRequest{Value: the drmHandshake answer (raw bytes, or the parsed dict)}
 *                                                -> {Value: activation info {ActivationInfoXML, FairPlaySignature, ...}}
 *  5. host POSTs form field `activation-info` = that Value as an XML plist (urlencoded or multipart)
 *     to <activation server>/deviceservices/deviceActivation
 *       -> Content-Type text/xml: plist {ActivationRecord: {...}}
 *       -> Content-Type application/x-buddyml: an Activation Lock (Apple ID) form: the device is locked
 *  6. HandleActivationInfoWithSessionRequest{Value: the text/xml answer's raw bytes,
 *     ActivationResponseHeaders: the HTTP headers}   -> {} and ActivationState becomes Activated
 *  7. (pymobiledevice3) lockdown SetValue ActivationStateAcknowledged = true
 * DeactivateRequest -> {} (Unactivated). The older flow (lockdown GetValue ActivationInfo +
 * lockdown Activate, iOS < 10) is lockdownd's, not this service's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EmulatedIpadState, EmulatorEnv, ServiceHandler } from '../emulated-ipad.js';
import { activationInfoXml, activationRecordProblem, fairPlaySignatureOf, handshakeResponseFor } from './activation-protocol.js';
import { extrasOf } from './device-extras.js';
import { dataField, delay, dictFromBytes, isPlistDict, servePlistRequests, stringField, type PlistDict } from './plist-service.js';
import { REAL_DEVICE_MS } from './timings.js';

/** A Value that may come as a plist dict or as the raw bytes of one (pymobiledevice3 forwards HTTP bodies as data). */
function dictValue(request: PlistDict): PlistDict | null {
  const value = request['Value'];
  if (isPlistDict(value)) return value;
  const data = dataField(request, 'Value');
  return data ? dictFromBytes(data) : null;
}

const failure = (error: string): PlistDict => ({ Error: error });

async function sessionInfo(device: EmulatedIpadState, env: EmulatorEnv): Promise<PlistDict> {
  await delay(env.scaled(REAL_DEVICE_MS.activationSession));
  const handshake = randomBytes(32);
  extrasOf(device).activationHandshake = handshake;
  return { Value: { HandshakeRequestMessage: handshake, UniqueDeviceID: device.udid, CollectionBlob: randomBytes(16) } };
}

async function activationInfo(device: EmulatedIpadState, env: EmulatorEnv, request: PlistDict): Promise<PlistDict> {
  const extras = extrasOf(device);
  const answer = dictValue(request);
  const response = answer ? dataField(answer, 'HandshakeResponseMessage') : null;
  if (!extras.activationHandshake) return failure('No activation session: send CreateTunnel1SessionInfoRequest first.');
  if (!response || !handshakeResponseFor(extras.activationHandshake).equals(response)) {
    return failure('The drmHandshake response does not answer this device’s session.');
  }
  await delay(env.scaled(REAL_DEVICE_MS.activationInfo));
  const randomness = randomUUID();
  extras.activationRandomness = randomness;
  const xml = activationInfoXml({
    udid: device.udid,
    serialNumber: device.serialNumber,
    productType: device.productType,
    productVersion: device.productVersion,
    activationState: device.activationState,
    randomness,
  });
  return {
    Value: {
      ActivationInfoComplete: true,
      ActivationInfoXML: xml,
      FairPlayCertChain: Buffer.from('fairplay certificate chain'),
      FairPlaySignature: fairPlaySignatureOf(xml),
      RKCertification: randomBytes(16),
      RKSignature: randomBytes(16),
      serverKP: (answer && dataField(answer, 'serverKP')) ?? Buffer.alloc(0),
      signActRequest: randomBytes(16),
    },
  };
}

async function applyRecord(device: EmulatedIpadState, env: EmulatorEnv, request: PlistDict): Promise<PlistDict> {
  const record = dictValue(request);
  const problem = record ? activationRecordProblem(record, device.udid, extrasOf(device).activationRandomness) : 'no activation record';
  if (problem) return failure(`Failed to activate: ${problem}.`);
  await delay(env.scaled(REAL_DEVICE_MS.activationApply));
  const extras = extrasOf(device);
  extras.activationHandshake = null;
  extras.activationRandomness = null;
  device.activationState = 'Activated';
  env.log(`activated`);
  return {};
}

export const mobileActivationService: ServiceHandler = (stream, device, env) => {
  servePlistRequests(stream, env, 'mobileactivationd', async (request, conn) => {
    const command = stringField(request, 'Command');
    let answer: PlistDict;
    switch (command) {
      case 'GetActivationStateRequest':
        answer = { Value: device.activationState };
        break;
      case 'CreateTunnel1SessionInfoRequest':
        answer = await sessionInfo(device, env);
        break;
      case 'CreateTunnel1ActivationInfoRequest':
        answer = await activationInfo(device, env, request);
        break;
      case 'HandleActivationInfoWithSessionRequest':
        answer = await applyRecord(device, env, request);
        break;
      case 'DeactivateRequest':
        device.activationState = 'Unactivated';
        answer = {};
        break;
      default:
        answer = failure(`Unsupported command ${command ?? '(none)'}: this iOS version activates through the Tunnel1 session.`);
    }
    conn.send(answer);
  });
};
