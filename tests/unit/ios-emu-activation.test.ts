import { build as buildPlist } from 'plist';
import { describe, expect, it } from 'vitest';
import { answerDeviceActivation, answerDrmHandshake, type ActivationCounts } from '../emulators/ios/activation-server.js';
import { mobileActivationService } from '../emulators/ios/services/mobileactivationd.js';
import { dictFromBytes, type PlistDict } from '../emulators/ios/services/plist-service.js';
import { emulatedIpad, plistClient, serviceHarness, type ServiceHarness } from '../fixtures/ios-service-harness.js';

/**
 * The exchange pymobiledevice3's MobileActivationService.activate() drives, against the emulated
 * mobileactivationd and the stub's request handlers (the HTTP server itself is exercised in
 * tests/integration/ios-emulator-services.test.ts).
 */

/** pymobiledevice3 opens a new service connection for every command. */
async function command(harness: ServiceHarness, name: string, value?: PlistDict[string]): Promise<PlistDict> {
  const client = plistClient(harness.connect(mobileActivationService));
  return client.request(value === undefined ? { Command: name } : { Command: name, Value: value });
}

const xml = (dict: PlistDict): string => buildPlist(dict as Parameters<typeof buildPlist>[0]);

interface Flow {
  counts: ActivationCounts;
  contentType: string;
  /** The answer to HandleActivationInfoWithSessionRequest, when the server gave a record. */
  applied: PlistDict | null;
}

async function activate(harness: ServiceHarness, form: (info: string) => { body: Buffer; type: string }, locked = false): Promise<Flow> {
  const counts: ActivationCounts = { drmHandshake: 0, activated: 0, refusedLocked: 0, refusedInvalid: 0 };
  expect(await command(harness, 'GetActivationStateRequest')).toEqual({ Value: 'Unactivated' });
  const session = (await command(harness, 'CreateTunnel1SessionInfoRequest'))['Value'] as PlistDict;
  expect(Buffer.isBuffer(session['HandshakeRequestMessage'])).toBe(true);
  const handshake = answerDrmHandshake(Buffer.from(xml(session)));
  expect(handshake.status).toBe(200);
  // pymobiledevice3 forwards the HTTP body as data.
  const info = (await command(harness, 'CreateTunnel1ActivationInfoRequest', handshake.body))['Value'] as PlistDict;
  expect(info['ActivationInfoComplete']).toBe(true);
  const { body, type } = form(xml(info));
  const answer = answerDeviceActivation(body, type, () => locked, counts);
  if (answer.contentType !== 'text/xml') return { counts, contentType: answer.contentType, applied: null };
  const applied = await command(harness, 'HandleActivationInfoWithSessionRequest', answer.body);
  return { counts, contentType: answer.contentType, applied };
}

const urlencoded = (info: string): { body: Buffer; type: string } => ({
  body: Buffer.from(new URLSearchParams({ 'activation-info': info }).toString()),
  type: 'application/x-www-form-urlencoded',
});

describe('mobileactivationd with the activation stub', () => {
  it('activates through the Tunnel1 session as pymobiledevice3 does it', async () => {
    const harness = serviceHarness(emulatedIpad({ activationState: 'Unactivated', setupDone: false }));
    const flow = await activate(harness, urlencoded);
    expect(flow).toMatchObject({ contentType: 'text/xml', applied: {}, counts: { activated: 1 } });
    expect(harness.device.activationState).toBe('Activated');
    expect(await command(harness, 'GetActivationStateRequest')).toEqual({ Value: 'Activated' });
  });

  it('reads libideviceactivation’s multipart form with the bare <dict> it sends', async () => {
    const harness = serviceHarness(emulatedIpad({ activationState: 'Unactivated' }));
    const multipart = (info: string): { body: Buffer; type: string } => {
      const bare = info.slice(info.indexOf('<dict>'), info.lastIndexOf('</plist>'));
      const body = `--XyZ\r\nContent-Disposition: form-data; name="activation-info"\r\n\r\n${bare}\r\n--XyZ--\r\n`;
      return { body: Buffer.from(body), type: 'multipart/form-data; boundary=XyZ' };
    };
    expect((await activate(harness, multipart)).applied).toEqual({});
    expect(harness.device.activationState).toBe('Activated');
  });

  it('gives an activation-locked device the Apple ID form, and the device stays unactivated', async () => {
    const harness = serviceHarness(emulatedIpad({ activationState: 'Unactivated', activationLocked: true }));
    const flow = await activate(harness, urlencoded, true);
    expect(flow.contentType).toBe('application/x-buddyml');
    expect(flow.counts).toMatchObject({ activated: 0, refusedLocked: 1 });
    expect(harness.device.activationState).toBe('Unactivated');
  });

  it('refuses a forged record, a record for another device and a handshake for another session', async () => {
    const harness = serviceHarness(emulatedIpad({ activationState: 'Unactivated' }));
    const session = (await command(harness, 'CreateTunnel1SessionInfoRequest'))['Value'] as PlistDict;
    const handshake = answerDrmHandshake(Buffer.from(xml(session)));
    // A newer session makes the older handshake answer useless.
    await command(harness, 'CreateTunnel1SessionInfoRequest');
    expect((await command(harness, 'CreateTunnel1ActivationInfoRequest', handshake.body))['Error']).toMatch(/session/);

    const fresh = (await command(harness, 'CreateTunnel1SessionInfoRequest'))['Value'] as PlistDict;
    const info = (await command(harness, 'CreateTunnel1ActivationInfoRequest', answerDrmHandshake(Buffer.from(xml(fresh))).body))['Value'] as PlistDict;
    const counts: ActivationCounts = { drmHandshake: 0, activated: 0, refusedLocked: 0, refusedInvalid: 0 };
    const { body, type } = urlencoded(xml(info));
    const genuine = dictFromBytes(answerDeviceActivation(body, type, () => false, counts).body) as PlistDict;
    // A record a client made up: the token altered after the stub signed it.
    const forged = dictFromBytes(Buffer.from(xml(genuine))) as PlistDict;
    const inner = forged['ActivationRecord'] as PlistDict;
    inner['AccountToken'] = Buffer.from((inner['AccountToken'] as Buffer).toString().replace('iPad13,18', 'iPad13,19'));
    expect((await command(harness, 'HandleActivationInfoWithSessionRequest', Buffer.from(xml(forged))))['Error']).toMatch(/signature/);

    const other = serviceHarness(emulatedIpad({ udid: 'OTHER-DEVICE', activationState: 'Unactivated' }));
    expect((await command(other, 'HandleActivationInfoWithSessionRequest', Buffer.from(xml(genuine))))['Error']).toMatch(/another device/);
    expect([harness.device.activationState, other.device.activationState]).toEqual(['Unactivated', 'Unactivated']);

    expect(answerDeviceActivation(Buffer.from('activation-info=garbage'), 'application/x-www-form-urlencoded', () => false, counts).status).toBe(400);
    expect(counts.refusedInvalid).toBe(1);
  });

  it('answers an older iOS command with an error naming the session flow', async () => {
    const harness = serviceHarness(emulatedIpad({ activationState: 'Unactivated' }));
    expect((await command(harness, 'CreateActivationInfoRequest'))['Error']).toMatch(/Tunnel1/);
  });
});
