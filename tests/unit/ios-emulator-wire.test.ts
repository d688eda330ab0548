import crypto from 'node:crypto';
import forge from 'node-forge';
import { parse as parseXmlPlist } from 'plist';
import { describe, expect, it } from 'vitest';
import { makeIdentity, type Identity } from '../emulators/ios/identities.js';
import { skipTlsRecords } from '../emulators/ios/lockdown/device-tls.js';
import { verifyPkcs7Signature } from '../emulators/ios/lockdown/pkcs7-verify.js';
import { decodePlist, encodeXmlPlist, LengthPrefixedFrames, PlistReal } from '../emulators/ios/plist-wire.js';

/**
 * The emulated iPad's wire pieces that no installed client reaches in every variant: the PKCS#7
 * check of a supervised-pairing challenge signed by node-forge with SHA-256 (what a Node host such
 * as ours produces; go-ios's SHA-1 form is covered by the go-ios integration test), the TLS records
 * skipped after StopSession, and the plist types clients decode strictly.
 */

function sign(content: Buffer, signer: Identity, withAttributes: boolean): Buffer {
  const signed = forge.pkcs7.createSignedData();
  signed.content = forge.util.createBuffer(content.toString('binary'));
  signed.addCertificate(signer.certificate);
  signed.addSigner({
    key: signer.key,
    certificate: signer.certificate,
    digestAlgorithm: forge.pki.oids['sha256']!,
    authenticatedAttributes: withAttributes
      ? [
          { type: forge.pki.oids['contentType']!, value: forge.pki.oids['data']! },
          { type: forge.pki.oids['messageDigest']! },
          { type: forge.pki.oids['signingTime']! },
        ]
      : [],
  });
  signed.sign();
  return Buffer.from(forge.asn1.toDer(signed.toAsn1()).getBytes(), 'binary');
}

describe('supervised pairing challenge check (PKCS#7)', () => {
  const supervisor = makeIdentity('supervisor');
  const stranger = makeIdentity('stranger');
  const challenge = crypto.randomBytes(32);

  it('accepts the challenge signed by the supervisor, with or without signed attributes', () => {
    expect(verifyPkcs7Signature(sign(challenge, supervisor, true), challenge, supervisor.certificateDer)).toMatchObject({ ok: true });
    expect(verifyPkcs7Signature(sign(challenge, supervisor, false), challenge, supervisor.certificateDer)).toMatchObject({ ok: true });
  });

  it('refuses another signer, another content, and bytes that are no PKCS#7', () => {
    expect(verifyPkcs7Signature(sign(challenge, stranger, true), challenge, supervisor.certificateDer)).toMatchObject({ ok: false });
    expect(verifyPkcs7Signature(sign(crypto.randomBytes(32), supervisor, true), challenge, supervisor.certificateDer)).toMatchObject({
      ok: false,
      reason: 'signed content is not the challenge',
    });
    expect(verifyPkcs7Signature(Buffer.from('nonsense'), challenge, supervisor.certificateDer).ok).toBe(false);
  });
});

describe('after StopSession', () => {
  it('skips whole TLS records (the close_notify) and hands on the plaintext frame after them', () => {
    const alert = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x03, 1, 2, 3]);
    const frame = Buffer.from([0, 0, 0, 5, 0x3c, 0x3f, 0x78, 0x6d, 0x6c]);
    expect(skipTlsRecords(Buffer.concat([alert, frame]))).toEqual({ rest: frame, done: true });
    expect(skipTlsRecords(alert.subarray(0, 6))).toMatchObject({ done: false });
  });
});

describe('plist wire', () => {
  it('writes reals as reals, big integers exactly and data as base64, and reads XML and binary back', () => {
    const xml = encodeXmlPlist({ Whole: new PlistReal(3600), Chip: 3940649673949185n, Key: Buffer.from('pem'), Skip: undefined, Name: 'a<b' }).toString();
    expect(xml).toContain('<key>Whole</key><real>3600</real>');
    expect(xml).toContain('<integer>3940649673949185</integer>');
    expect(xml).toContain('<data>cGVt</data>');
    expect(xml).not.toContain('Skip');
    expect(parseXmlPlist(xml)).toMatchObject({ Name: 'a<b' });
    const decoded = decodePlist(Buffer.from(xml)) as Record<string, unknown>;
    expect(Buffer.isBuffer(decoded['Key'])).toBe(true);
    expect(() => decodePlist(Buffer.from('not a plist'))).toThrow(/not a plist/);
  });

  it('splits 4-byte big-endian frames across chunks and refuses absurd lengths', () => {
    const frames = new LengthPrefixedFrames();
    expect(frames.push(Buffer.from([0, 0, 0, 2, 0x61]))).toEqual([]);
    expect(frames.push(Buffer.from([0x62, 0, 0]))).toEqual([Buffer.from('ab')]);
    expect(frames.takeRest()).toEqual(Buffer.from([0, 0]));
    expect(() => new LengthPrefixedFrames().push(Buffer.from([0x16, 0x03, 0x01, 0x02]))).toThrow(/larger than/);
  });
});
