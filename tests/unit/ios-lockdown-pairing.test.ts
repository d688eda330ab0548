import crypto, { X509Certificate } from 'node:crypto';
import { duplexPair } from 'node:stream';
import tls from 'node:tls';
import forge from 'node-forge';
import { build, parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { IosLinkError, type IosLinkErrorKind, type PlistDict } from '../../main/drivers/ios/ios-link.js';
import { linkStepFailure } from '../../main/drivers/ios/link-failures.js';
import { LockdownConnection } from '../../main/drivers/ios/lockdown/lockdown-connection.js';
import { pairRecordFromPlist } from '../../main/drivers/ios/lockdown/pair-record.js';
import { createPairingCertificates } from '../../main/drivers/ios/lockdown/pairing-certificates.js';
import { pairDevice } from '../../main/drivers/ios/lockdown/pairing.js';
import { StreamPlistChannel } from '../../main/drivers/ios/lockdown/plist-channel.js';
import { signSupervisorChallenge, supervisorCertificateDer } from '../../main/drivers/ios/lockdown/supervisor-signature.js';
import { startTls } from '../../main/drivers/ios/lockdown/tls-upgrade.js';
import { decodePlistDict } from '../../main/drivers/ios/plist-codec.js';
import { UsbmuxClient } from '../../main/drivers/ios/usbmux/usbmux-client.js';
import { QUARANTINE_CODES } from '../../main/drivers/step-errors.js';
import { QuarantineService, type QuarantineDeps } from '../../main/quarantine/quarantine-service.js';
import type { LiveRun, RunTransition } from '../../main/pipeline/run-controller.js';
import { createSupervisionIdentity } from '../../main/secrets/identities.js';
import { verifyPkcs7Signature } from '../emulators/ios/lockdown/pkcs7-verify.js';
import { usbmuxPacket } from '../fixtures/ios-usb.js';

function deviceKeys() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicKeyPem: publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(), privateKey, publicKey };
}

describe('pairing certificates', () => {
  it("are a root CA and host and device certificates over the device's key, signed by the root with SHA-256, as libimobiledevice makes them", async () => {
    const device = deviceKeys();
    const certs = await createPairingCertificates(device.publicKeyPem);
    const root = new X509Certificate(certs.rootCertificatePem);
    const host = new X509Certificate(certs.hostCertificatePem);
    const deviceCert = new X509Certificate(certs.deviceCertificatePem);
    expect([root.ca, host.ca, deviceCert.ca]).toEqual([true, false, false]);
    expect([root.verify(root.publicKey), host.verify(root.publicKey), deviceCert.verify(root.publicKey)]).toEqual([true, true, true]);
    const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('hex');
    expect(spki(deviceCert.publicKey)).toBe(spki(device.publicKey));
    expect(spki(host.publicKey)).toBe(spki(crypto.createPublicKey(certs.hostPrivateKeyPem)));
    expect(spki(root.publicKey)).toBe(spki(crypto.createPublicKey(certs.rootPrivateKeyPem)));
    for (const pem of [certs.rootCertificatePem, certs.hostCertificatePem, certs.deviceCertificatePem]) {
      const parsed = forge.pki.certificateFromPem(pem);
      expect([parsed.signatureOid, parsed.serialNumber, parsed.subject.attributes.length]).toEqual([forge.pki.oids.sha256WithRSAEncryption, '01', 0]);
      expect(pem).not.toContain('\r');
    }
    expect(crypto.createPublicKey(certs.hostPrivateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certs.hostPrivateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    // Ten years.
    expect(new Date(host.validTo).getTime() - new Date(host.validFrom).getTime()).toBeGreaterThan(9.9 * 365 * 86_400_000);
  });

  it("reuse the station's root and host keys across pairings (made once per process), each pairing with its own device certificate", async () => {
    const [first, second] = [deviceKeys(), deviceKeys()];
    const a = await createPairingCertificates(first.publicKeyPem);
    const b = await createPairingCertificates(second.publicKeyPem);
    expect([b.hostPrivateKeyPem, b.rootPrivateKeyPem]).toEqual([a.hostPrivateKeyPem, a.rootPrivateKeyPem]);
    const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('hex');
    expect(spki(new X509Certificate(b.deviceCertificatePem).publicKey)).toBe(spki(second.publicKey));
    expect(new X509Certificate(b.deviceCertificatePem).verify(new X509Certificate(a.rootCertificatePem).publicKey)).toBe(true);
  });

  it('carry a TLS 1.2+ handshake on an existing connection, the host presenting its certificate to the device', async () => {
    const device = deviceKeys();
    const certs = await createPairingCertificates(device.publicKeyPem);
    const [hostEnd, deviceEnd] = duplexPair();
    const server = new tls.TLSSocket(deviceEnd, {
      isServer: true,
      key: device.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      cert: certs.deviceCertificatePem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    const serverSecure = new Promise<tls.TLSSocket>((resolve) => server.once('secure', () => resolve(server)));
    const record = pairRecordFromPlist(
      { HostCertificate: Buffer.from(certs.hostCertificatePem), HostPrivateKey: Buffer.from(certs.hostPrivateKeyPem), HostID: 'H', SystemBUID: 'B' },
      'U',
    );
    const client = await startTls(hostEnd, record, AbortSignal.timeout(5000), 'test');
    await serverSecure;
    expect(['TLSv1.2', 'TLSv1.3']).toContain(client.getProtocol());
    expect(server.getPeerX509Certificate()?.raw.equals(new X509Certificate(certs.hostCertificatePem).raw)).toBe(true);
    client.destroy();
    server.destroy();
  });

  it('refuse a DevicePublicKey that is no RSA key as a protocol error', async () => {
    const err = (await createPairingCertificates('not a key').catch((e: unknown) => e)) as IosLinkError;
    expect([err.kind, err.deviceReason]).toEqual(['protocol', 'DevicePublicKey']);
  });
});

describe('the supervisor challenge', () => {
  it('is a PKCS#7 SignedData over the challenge by the supervision identity (checked by the emulated device)', () => {
    const identity = createSupervisionIdentity('Schulträger');
    const challenge = crypto.randomBytes(32);
    const signed = signSupervisorChallenge(challenge, identity);
    const certificate = supervisorCertificateDer(identity);
    expect(certificate.equals(new X509Certificate(identity.certificatePem).raw)).toBe(true);
    expect(verifyPkcs7Signature(signed, challenge, certificate)).toMatchObject({ ok: true });
    expect(verifyPkcs7Signature(signed, crypto.randomBytes(32), certificate).ok).toBe(false);
    const other = createSupervisionIdentity('Andere');
    expect(verifyPkcs7Signature(signSupervisorChallenge(challenge, other), challenge, certificate).ok).toBe(false);
  });
});

/** A lockdownd stand-in: answers each request with the next scripted answer for its Request, and records what came. */
function scriptedLockdown(script: Record<string, PlistDict[]>) {
  const requests: PlistDict[] = [];
  const open = () => {
    const [host, device] = duplexPair();
    let buffer = Buffer.alloc(0);
    device.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
        const length = buffer.readUInt32BE(0);
        const request = decodePlistDict(buffer.subarray(4, 4 + length), 'request');
        buffer = buffer.subarray(4 + length);
        requests.push(request);
        const verb = typeof request.Request === 'string' ? request.Request : '';
        const answer = script[verb]?.shift() ?? { Request: verb, Error: 'Unscripted' };
        const body = Buffer.from(build({ Request: verb, ...answer }));
        const header = Buffer.alloc(4);
        header.writeUInt32BE(body.length, 0);
        device.write(Buffer.concat([header, body]));
      }
    });
    return Promise.resolve(new LockdownConnection(new StreamPlistChannel(host, 'lockdownd of U'), 'benchline', 'U'));
  };
  return { open, requests };
}

/** usbmuxd for ReadBUID and SavePairRecord, recording the saved record. */
function scriptedUsbmuxd() {
  const saved: PlistDict[] = [];
  const dial = () => {
    const [client, daemon] = duplexPair();
    daemon.on('data', (chunk: Buffer) => {
      const tag = chunk.readUInt32LE(12);
      const request = parse(chunk.subarray(16).toString('utf8')) as Record<string, unknown>;
      let answer: Record<string, unknown> = { MessageType: 'Result', Number: 0 };
      if (request.MessageType === 'ReadBUID') answer = { BUID: 'SYSTEM-BUID' };
      if (request.MessageType === 'SavePairRecord') saved.push(decodePlistDict(Buffer.from(request.PairRecordData as Uint8Array), 'record'));
      daemon.write(usbmuxPacket(tag, answer));
    });
    return Promise.resolve(client);
  };
  return { client: new UsbmuxClient(dial, { progName: 't', clientVersionString: 't' }, '/fake'), saved };
}

describe('Pair', () => {
  const device = deviceKeys();
  const values = () => [{ Value: Buffer.from(device.publicKeyPem) }, { Value: 'f0:18:98:00:00:01' }];

  function link(lockdown: ReturnType<typeof scriptedLockdown>, usbmuxd: ReturnType<typeof scriptedUsbmuxd>) {
    return { udid: 'U', client: usbmuxd.client, deviceId: () => 4, openLockdown: lockdown.open, hostName: 'station-1', pendingPollMs: 5, log: () => {} };
  }

  it('asks again while the Trust prompt shows (telling the tile once), then saves the record with the keys and the escrow bag', async () => {
    const escrow = crypto.randomBytes(64);
    const lockdown = scriptedLockdown({
      GetValue: values(),
      Pair: [{ Error: 'PairingDialogResponsePending' }, { Error: 'PairingDialogResponsePending' }, { EscrowBag: escrow }],
    });
    const usbmuxd = scriptedUsbmuxd();
    let prompts = 0;
    await pairDevice(link(lockdown, usbmuxd), { signal: AbortSignal.timeout(10_000), onTrustPrompt: () => prompts++ });
    expect(prompts).toBe(1);
    const pairs = lockdown.requests.filter((r) => r.Request === 'Pair');
    expect(pairs).toHaveLength(3);
    expect(pairs[0]).toMatchObject({ ProtocolVersion: '2', PairingOptions: { ExtendedPairingErrors: true }, HostName: 'station-1', Label: 'benchline' });
    const shown = pairs[0]!.PairRecord as PlistDict;
    expect(Object.keys(shown).sort()).toEqual(['DeviceCertificate', 'HostCertificate', 'HostID', 'RootCertificate', 'SystemBUID', 'WiFiMACAddress']);
    expect(usbmuxd.saved).toHaveLength(1);
    const record = usbmuxd.saved[0]!;
    expect(record).toMatchObject({ SystemBUID: 'SYSTEM-BUID', HostID: shown.HostID, WiFiMACAddress: 'f0:18:98:00:00:01' });
    expect((record.EscrowBag as Buffer).equals(escrow)).toBe(true);
    expect((record.HostPrivateKey as Buffer).toString()).toMatch(/PRIVATE KEY/);
    expect((record.RootPrivateKey as Buffer).toString()).toMatch(/PRIVATE KEY/);
  });

  it("gives the device's refusal as its kind, and saves nothing", async () => {
    for (const [error, kind] of [
      ['UserDeniedPairing', 'pairing-denied'],
      ['PasswordProtected', 'password-protected'],
      ['InvalidHostID', 'invalid-host-id'],
    ] as const) {
      const lockdown = scriptedLockdown({ GetValue: values(), Pair: [{ Error: error }] });
      const usbmuxd = scriptedUsbmuxd();
      const err = (await pairDevice(link(lockdown, usbmuxd), { signal: AbortSignal.timeout(10_000), onTrustPrompt: () => {} }).catch(
        (e: unknown) => e,
      )) as IosLinkError;
      expect([err.kind, err.deviceReason]).toEqual([kind, error]);
      expect(usbmuxd.saved).toEqual([]);
    }
  });

  it('pairs supervised: SupervisorCertificate, then the PairingChallenge signed by the identity, no Trust prompt', async () => {
    const identity = createSupervisionIdentity('Schulträger');
    const challenge = crypto.randomBytes(32);
    const lockdown = scriptedLockdown({
      GetValue: values(),
      Pair: [{ Error: 'MCChallengeRequired', ExtendedResponse: { PairingChallenge: challenge } }, { EscrowBag: Buffer.alloc(8) }],
    });
    const usbmuxd = scriptedUsbmuxd();
    let prompts = 0;
    await pairDevice(link(lockdown, usbmuxd), { signal: AbortSignal.timeout(10_000), onTrustPrompt: () => prompts++, supervisor: identity });
    const [first, second] = lockdown.requests.filter((r) => r.Request === 'Pair').map((r) => r.PairingOptions as PlistDict);
    expect((first!.SupervisorCertificate as Buffer).equals(supervisorCertificateDer(identity))).toBe(true);
    expect(verifyPkcs7Signature(second!.ChallengeResponse as Buffer, challenge, supervisorCertificateDer(identity)).ok).toBe(true);
    expect(prompts).toBe(0);
    expect(usbmuxd.saved).toHaveLength(1);
  });

  it('falls back to the Trust prompt when the device does not take the supervisor (not supervised by it)', async () => {
    const lockdown = scriptedLockdown({
      GetValue: values(),
      Pair: [{ Error: 'PairingDialogResponsePending' }, { Error: 'PairingDialogResponsePending' }, { EscrowBag: Buffer.alloc(8) }],
    });
    const usbmuxd = scriptedUsbmuxd();
    let prompts = 0;
    await pairDevice(link(lockdown, usbmuxd), {
      signal: AbortSignal.timeout(10_000),
      onTrustPrompt: () => prompts++,
      supervisor: createSupervisionIdentity('X'),
    });
    const options = lockdown.requests
      .filter((r) => r.Request === 'Pair')
      .map((r) =>
        Object.keys(r.PairingOptions as PlistDict)
          .sort()
          .join(','),
      );
    expect(options).toEqual(['ExtendedPairingErrors,SupervisorCertificate', 'ExtendedPairingErrors', 'ExtendedPairingErrors']);
    expect(prompts).toBe(1);
  });
});

describe('transport failures as the technician reads them', () => {
  it("map every kind to an ios.* code with the device's own word, retryable where trying again can help", () => {
    const cases: [IosLinkErrorKind, string, boolean][] = [
      ['pairing-denied', 'ios.trust-denied', false],
      ['password-protected', 'ios.passcode', true],
      ['not-paired', 'ios.not-paired', true],
      ['invalid-host-id', 'ios.not-paired', true],
      ['tls-failed', 'ios.tls-failed', true],
      ['service-refused', 'ios.service-refused', true],
      ['device-gone', 'ios.connection-lost', true],
      ['protocol', 'ios.protocol', true],
      ['pairing-pending', 'ios.protocol', true],
    ];
    for (const [kind, code, retryable] of cases) {
      const failure = linkStepFailure(new IosLinkError(kind, 'what happened', 'DeviceWord'), '/var/run/usbmuxd');
      expect([failure.code, failure.retryable], kind).toEqual([code, retryable]);
      expect(JSON.stringify(failure.params), kind).toContain('DeviceWord');
    }
    const usbmuxd = linkStepFailure(new IosLinkError('usbmuxd-unreachable', 'x', 'ECONNREFUSED'), '/var/run/usbmuxd');
    expect([usbmuxd.code, usbmuxd.params]).toEqual(['ios.usbmuxd-unreachable', { address: '/var/run/usbmuxd', reason: 'ECONNREFUSED' }]);
  });
});

describe('quarantine by failure code', () => {
  function afterFailure(errorCode: string, stepId = 'identify', stepType = 'identify') {
    const quarantined: { serial: string; kind: string; step: string | null }[] = [];
    const deps = { floorStore: { quarantine: (q: { serial: string; kind: string; step: string | null }) => quarantined.push(q) } } as unknown as QuarantineDeps;
    const service = new QuarantineService(deps);
    const run = {
      serial: 'S1',
      id: 'r1',
      shiftId: 1,
      blueprint: { steps: [{ id: stepId, type: stepType }] },
      record: { stepIndex: 0, errorCode, errorMessage: 'locked', operator: 'Anna' },
    } as unknown as LiveRun;
    const transition = { state: 'failed', at: 'now', events: [{ kind: 'fail', message: '{"code":"ios.activation-locked"}' }] } as unknown as RunTransition;
    service.afterTransition(transition, run);
    return quarantined;
  }

  it('sets an Activation-Locked device aside whatever step found it; other failures of that step do not', () => {
    expect(QUARANTINE_CODES.has('ios.activation-locked')).toBe(true);
    expect(afterFailure('ios.activation-locked', 'trust', 'wait-for-trust')).toMatchObject([{ serial: 'S1', kind: 'hardware', step: 'trust' }]);
    expect(afterFailure('ios.protocol')).toEqual([]);
  });
});
