import type { Duplex } from 'node:stream';

/**
 * Cuts a service's byte stream into frames and hands them out one at a time, so a service answers
 * its requests in order even when an answer takes (scaled) time. `extract` looks at the bytes
 * buffered so far: a frame and how many bytes it used; `{ need }` (the whole frame's size, once its
 * header says so) or null when more bytes are needed; or 'invalid' to drop the connection (as a
 * daemon does on garbage). Chunks are joined only once a frame is complete, so a megabyte AFC write
 * arriving in 64 KiB pieces is copied once, not sixteen times.
 */
export type FrameExtractor<T> = (buffered: Buffer) => { frame: T; used: number } | { need: number } | null | 'invalid';

export interface FrameReader<T> {
  /** The next frame; null once the connection has closed. */
  next(): Promise<T | null>;
  readonly closed: boolean;
  readonly ended: Promise<void>;
}

export function frameReader<T>(stream: Duplex, extract: FrameExtractor<T>): FrameReader<T> {
  let chunks: Buffer[] = [];
  let length = 0;
  let need = 1;
  const queue: T[] = [];
  let waiting: ((frame: T | null) => void) | null = null;
  let closed = false;
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));

  const finish = (): void => {
    if (closed) return;
    closed = true;
    resolveEnded();
    const w = waiting;
    waiting = null;
    w?.(null);
  };

  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    while (length >= need) {
      const buffered = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
      chunks = [buffered];
      const result = extract(buffered);
      if (result === 'invalid') {
        stream.destroy();
        return;
      }
      if (result === null || 'need' in result) {
        need = result === null ? length + 1 : Math.max(result.need, length + 1);
        return;
      }
      const rest = buffered.subarray(result.used);
      chunks = rest.length > 0 ? [rest] : [];
      length = rest.length;
      need = 1;
      const w = waiting;
      waiting = null;
      if (w) w(result.frame);
      else queue.push(result.frame);
    }
  });
  stream.on('end', () => {
    finish();
    stream.end();
  });
  stream.on('close', finish);
  stream.on('error', finish);

  return {
    next: () => {
      if (queue.length > 0) return Promise.resolve(queue.shift() as T);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => (waiting = resolve));
    },
    get closed() {
      return closed;
    },
    ended,
  };
}

/** Writes bytes; false when the connection is already gone. */
export function writeFrame(stream: Duplex, bytes: Buffer): Promise<boolean> {
  if (stream.destroyed || !stream.writable) return Promise.resolve(false);
  return new Promise((resolve) => {
    stream.write(bytes, (err) => resolve(!err));
  });
}
