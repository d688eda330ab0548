import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { IosLinkError } from '../ios-link.js';
import { untilAborted } from '../link-abort.js';
import type { PairRecord } from './pair-record.js';

/** About one per device on a full bench: beyond it the oldest context is made again when needed. */
const CONTEXTS_KEPT = 256;
const contexts = new Map<string, tls.SecureContext>();

/**
 * The TLS context with the record's host certificate and key, made once per pair record: every
 * session and service connection of a device presents the same pair, and a new context (parsing
 * the key, a new OpenSSL context) for each was a visible share of the station's CPU in bench:ios.
 */
function hostContext(record: PairRecord): tls.SecureContext {
  const key = `${record.hostCertificate.toString('latin1')}\n${record.hostPrivateKey.toString('latin1')}`;
  let context = contexts.get(key);
  if (context) {
    contexts.delete(key);
  } else {
    context = tls.createSecureContext({ cert: record.hostCertificate, key: record.hostPrivateKey, minVersion: 'TLSv1.2' });
    if (contexts.size >= CONTEXTS_KEPT) contexts.delete(contexts.keys().next().value!);
  }
  // Most recently used last, so the oldest goes first.
  contexts.set(key, context);
  return context;
}

/**
 * TLS on a connection that already spoke plaintext (lockdownd after StartSession, a service after
 * StartService): the device is the server, the host the client presenting its pair record's
 * certificate. TLS 1.2 at least. The device's certificate is not checked against the record's
 * root, as neither libimobiledevice nor pymobiledevice3 check it: the pairing is what the device
 * checks, and nothing documents which certificate a real device presents.
 */
export function startTls(stream: Duplex, record: PairRecord, signal: AbortSignal, what: string): Promise<tls.TLSSocket> {
  const socket = tls.connect({
    socket: stream,
    secureContext: hostContext(record),
    minVersion: 'TLSv1.2',
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  const secured = new Promise<tls.TLSSocket>((resolve, reject) => {
    const failed = (reason: string) => {
      socket.destroy();
      reject(new IosLinkError('tls-failed', `${what}: TLS handshake failed (${reason})`, reason));
    };
    const onError = (err: NodeJS.ErrnoException) => failed(err.code ?? err.message);
    const onClose = () => failed('ConnectionClosed');
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      socket.off('close', onClose);
      // From here a failure shows as the socket closing (the channel reports it); an unheard 'error' would end the station.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
  return untilAborted(signal, secured, () => socket.destroy());
}
