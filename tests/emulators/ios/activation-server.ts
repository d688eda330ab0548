import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { activationRecordFor, handshakeResponseFor, readActivationInfo } from './services/activation-protocol.js';
import { dataField, dictFromBytes, encodeXmlPlist } from './services/plist-service.js';

/**
 * A stand-in for Apple's activation server (albert.apple.com/deviceservices/...) on loopback, for the
 * emulated iPads' mobileactivationd (services/mobileactivationd.ts has the whole exchange). It
 * answers POST .../drmHandshake and POST .../deviceActivation under any prefix, so the station's
 * `--ios-activation-url` may name the base or either endpoint. Like Apple's server it knows which
 * devices are activation-locked (Find My): for those it answers the Apple ID form
 * (application/x-buddyml) instead of a record, also after an erase.
 */

export interface ActivationServerOptions {
  /** Apple's side of Activation Lock: true for a device linked to someone's Apple ID. */
  isActivationLocked(udid: string): boolean;
  port?: number;
}

export interface ActivationCounts {
  drmHandshake: number;
  activated: number;
  refusedLocked: number;
  refusedInvalid: number;
}

export interface ActivationServer {
  /** http://127.0.0.1:PORT/deviceservices */
  readonly url: string;
  readonly drmHandshakeUrl: string;
  readonly deviceActivationUrl: string;
  /** What the server has answered, for tests (an activation must not happen twice). */
  readonly counts: ActivationCounts;
  close(): Promise<void>;
}

export interface StubAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

const plain = (status: number, text: string): StubAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body: Buffer.from(text) });

/** drmHandshake: the body is the device's session blob as a plist. */
export function answerDrmHandshake(body: Buffer): StubAnswer {
  const blob = dictFromBytes(body);
  const request = blob ? dataField(blob, 'HandshakeRequestMessage') : null;
  if (!request) return plain(400, 'drmHandshake: no HandshakeRequestMessage in the posted plist');
  const answer = encodeXmlPlist({
    HandshakeResponseMessage: handshakeResponseFor(request),
    serverKP: Buffer.from('benchline activation stub'),
    FDRBlob: Buffer.alloc(16),
    SUInfo: Buffer.alloc(16),
  });
  return { status: 200, contentType: 'application/xml', body: answer };
}

/** The `activation-info` field of a urlencoded or multipart form (or a body that is the plist itself). */
export function activationInfoField(body: Buffer, contentType: string): string | null {
  if (contentType.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams(body.toString('latin1')).get('activation-info');
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (contentType.startsWith('multipart/form-data') && boundary) {
    for (const part of body.toString('utf8').split(`--${boundary}`)) {
      const split = part.indexOf('\r\n\r\n');
      if (split < 0 || !/name="activation-info"/.test(part.slice(0, split))) continue;
      return part.slice(split + 4).replace(/\r\n$/, '');
    }
    return null;
  }
  const text = body.toString('utf8');
  return text.trimStart().startsWith('<') ? text : null;
}

/** The Activation Lock form real servers answer for a locked device (the fields pymobiledevice3 and libideviceactivation read). */
function activationLockForm(): Buffer {
  return Buffer.from(
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<xmlui>',
      '  <page>',
      '    <navigationBar title="Activation Lock" hidesBackButton="false"/>',
      '    <tableView>',
      '      <section>',
      '        <editableTextRow id="login" label="Apple ID" placeholder="example@icloud.com" keyboardType="email"/>',
      '        <editableTextRow id="password" label="Password" placeholder="Required" secure="true"/>',
      '        <footer>This iPad is linked to an Apple ID. Enter the Apple ID and password that were used to set it up.</footer>',
      '      </section>',
      '    </tableView>',
      '  </page>',
      '  <serverInfo isAuthRequired="true" activation-lock="true"/>',
      '</xmlui>',
    ].join('\n'),
  );
}

export function answerDeviceActivation(body: Buffer, contentType: string, isActivationLocked: (udid: string) => boolean, counts: ActivationCounts): StubAnswer {
  const field = activationInfoField(body, contentType);
  const facts = field === null ? 'no activation-info field in the form' : readActivationInfo(field);
  if (typeof facts === 'string') {
    counts.refusedInvalid++;
    return plain(400, `deviceActivation: ${facts}`);
  }
  if (isActivationLocked(facts.udid)) {
    counts.refusedLocked++;
    return { status: 200, contentType: 'application/x-buddyml', body: activationLockForm() };
  }
  counts.activated++;
  // Exactly "text/xml": pymobiledevice3 compares the Content-Type with it.
  return { status: 200, contentType: 'text/xml', body: encodeXmlPlist(activationRecordFor(facts)) };
}

export async function startActivationServer(options: ActivationServerOptions): Promise<ActivationServer> {
  const counts: ActivationCounts = { drmHandshake: 0, activated: 0, refusedLocked: 0, refusedInvalid: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0] ?? '';
      let answer: StubAnswer;
      if (req.method !== 'POST') answer = plain(405, 'POST only');
      else if (path.endsWith('/drmHandshake')) {
        counts.drmHandshake++;
        answer = answerDrmHandshake(body);
      } else if (path.endsWith('/deviceActivation')) {
        answer = answerDeviceActivation(body, req.headers['content-type'] ?? '', options.isActivationLocked, counts);
      } else answer = plain(404, `no such endpoint ${path}: use .../drmHandshake or .../deviceActivation`);
      res.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': answer.body.length });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deviceservices`;
  return {
    url: base,
    drmHandshakeUrl: `${base}/drmHandshake`,
    deviceActivationUrl: `${base}/deviceActivation`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
