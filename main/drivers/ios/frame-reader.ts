import type { Duplex } from 'node:stream';
import { IosLinkError } from './ios-link.js';
import { untilAborted } from './link-abort.js';

/** How one length-prefixed framing reads: usbmuxd (16-byte LE header) and lockdown/services (4-byte BE length). */
export interface FrameFormat {
  headerBytes: number;
  /** Bytes of body after this header; a negative or oversized value is a protocol error. */
  bodyLength(header: Buffer): number;
  maxBody: number;
}

export interface Frame {
  header: Buffer;
  body: Buffer;
}

type Waiter = { resolve(frame: Frame): void; reject(err: Error): void };

/**
 * Reads frames off a stream as they arrive. A closed stream rejects every wait with `closedError`
 * (the device or the daemon went away); a broken frame closes the stream, since nothing after it
 * can be trusted. `detach` hands the stream back (for TLS on the same socket) with what was read
 * beyond the last frame.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly frames: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onClose = () => this.fail(this.closedError());

  constructor(
    private readonly stream: Duplex,
    private readonly format: FrameFormat,
    private readonly closedError: () => Error,
  ) {
    stream.on('data', this.onData);
    stream.once('close', this.onClose);
    stream.once('end', this.onClose);
    // A stream handed over by another reader (usbmuxd's Connect) was paused there.
    stream.resume();
    if (stream.destroyed) this.fail(closedError());
  }

  /** The next frame; rejects when the stream closes, and with StepAbortedError (closing the stream) on abort. */
  next(signal?: AbortSignal): Promise<Frame> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    const wait = new Promise<Frame>((resolve, reject) => this.waiters.push({ resolve, reject }));
    return signal ? untilAborted(signal, wait, () => this.stream.destroy()) : wait;
  }

  /** Stops reading; returns the bytes read past the last whole frame (frames not yet taken are an error). */
  detach(): Buffer {
    this.stream.off('data', this.onData);
    this.stream.off('close', this.onClose);
    this.stream.off('end', this.onClose);
    this.stream.pause();
    if (this.frames.length > 0) throw new IosLinkError('protocol', 'the device sent more than one answer where one was expected');
    return Buffer.concat(this.chunks);
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < this.format.headerBytes) return;
      const header = this.peek(this.format.headerBytes);
      const length = this.format.bodyLength(header);
      if (!Number.isInteger(length) || length < 0 || length > this.format.maxBody) {
        this.fail(new IosLinkError('protocol', `a frame announces ${length} bytes (at most ${this.format.maxBody} are taken)`));
        this.stream.destroy();
        return;
      }
      if (this.buffered < this.format.headerBytes + length) return;
      const all = this.take(this.format.headerBytes + length);
      const frame = { header: all.subarray(0, this.format.headerBytes), body: all.subarray(this.format.headerBytes) };
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.frames.push(frame);
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
