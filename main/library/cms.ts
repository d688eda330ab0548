import { X509Certificate } from 'node:crypto';
import { Asn1Error, TAG, octets, oidText, parseAsn1, type Asn1Node } from './der.js';

const SIGNED_DATA = '1.2.840.113549.1.7.2';

/** What a CMS SignedData (PKCS#7) carries: the signed content (absent when detached) and the certificates. */
export interface SignedData {
  content: Buffer | null;
  certificates: X509Certificate[];
  /** The signer's certificate: the one whose issuer and serial the first SignerInfo names, else the first. */
  signer: X509Certificate | null;
}

function child(node: Asn1Node, index: number, what: string): Asn1Node {
  const c = node.children[index];
  if (!c) throw new Asn1Error(`CMS: ${what} missing`);
  return c;
}

/**
 * Takes a DER or BER encoded ContentInfo of type SignedData apart (RFC 5652). The signature itself
 * is not checked against a trust store here: the library shows who signed, the device decides trust.
 */
export function readSignedData(der: Buffer): SignedData {
  const info = parseAsn1(der);
  if (info.tag !== TAG.sequence || oidText(child(info, 0, 'content type')) !== SIGNED_DATA) throw new Asn1Error('not a CMS SignedData');
  const signed = child(child(info, 1, 'content'), 0, 'SignedData');
  // SignedData: version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos.
  const encap = child(signed, 2, 'encapsulated content');
  const explicit = encap.children[1];
  const content = explicit ? octets(child(explicit, 0, 'content octets')) : null;
  const certNode = signed.children.find((c) => c.tag === TAG.context0);
  const certificates = (certNode?.children ?? []).filter((c) => c.tag === TAG.sequence).map((c) => new X509Certificate(c.raw));
  const signerInfos = signed.children.at(-1);
  const sid = signerInfos?.tag === TAG.set ? signerInfos.children[0]?.children[1] : undefined;
  const serial = sid?.tag === TAG.sequence ? sid.children[1] : undefined;
  const serialHex =
    serial?.tag === TAG.integer
      ? serial.content
          .toString('hex')
          .replace(/^(00)+(?=.)/, '')
          .toUpperCase()
      : null;
  const signer =
    certificates.find((c) => serialHex !== null && c.serialNumber.replace(/^(00)+(?=.)/, '').toUpperCase() === serialHex) ?? certificates[0] ?? null;
  return { content, certificates, signer };
}

/** An X.509 subject as one line ("CN=..., O=..."), as people read it. */
export function subjectLine(cert: X509Certificate): string {
  return cert.subject.split('\n').filter(Boolean).join(', ');
}
