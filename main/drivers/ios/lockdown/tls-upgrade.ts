import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { IosLinkError } from '../ios-link.js';
import { untilAborted } from '../link-abort.js';
import type { PairRecord } from './pair-record.js';

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
    cert: record.hostCertificate,
    key: record.hostPrivateKey,
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
