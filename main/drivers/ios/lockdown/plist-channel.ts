import type { Duplex } from 'node:stream';
import { FrameReader, type FrameFormat } from '../frame-reader.js';
import { IosLinkError, type PlistChannel, type PlistDict } from '../ios-link.js';
import { decodePlistDict, encodePlistXml } from '../plist-codec.js';

/** lockdownd's and the plist services' framing: a 4-byte big-endian length, then the plist. */
export const PLIST_FRAMES: FrameFormat = {
  headerBytes: 4,
  bodyLength: (header) => header.readUInt32BE(0),
  // installation_proxy's Browse of a full device is a few MB; more is not a plist service talking.
  maxBody: 64 * 1024 * 1024,
};

/**
 * A plist channel over a stream (the raw usbmuxd connection, or TLS on it). It starts reading at
 * the first receive, so a service that is not plist-framed (AFC) can use the same stream raw.
 */
export class StreamPlistChannel implements PlistChannel {
  private reader: FrameReader | null = null;

  constructor(
    readonly stream: Duplex,
    private readonly what: string,
  ) {}

  send(message: PlistDict): Promise<void> {
    if (this.stream.destroyed || !this.stream.writable) return Promise.reject(this.closed());
    const body = encodePlistXml(message);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length, 0);
    return new Promise((resolve, reject) => {
      this.stream.write(Buffer.concat([header, body]), (err) => (err ? reject(this.closed()) : resolve()));
    });
  }

  async receive(signal?: AbortSignal): Promise<PlistDict> {
    this.reader ??= new FrameReader(this.stream, PLIST_FRAMES, () => this.closed());
    const frame = await this.reader.next(signal);
    return decodePlistDict(frame.body, this.what);
  }

  /** Stops reading and hands the stream over (TLS on the same socket); bytes read beyond the last answer are an error. */
  detach(): Duplex {
    const rest = this.reader?.detach() ?? Buffer.alloc(0);
    this.reader = null;
    if (rest.length > 0) throw new IosLinkError('protocol', `${this.what}: the device spoke before the TLS handshake`);
    return this.stream;
  }

  close(): void {
    this.stream.destroy();
  }

  private closed(): IosLinkError {
    return new IosLinkError('device-gone', `${this.what}: the connection closed`, 'ConnectionClosed');
  }
}
