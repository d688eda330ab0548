import { SerialPort } from 'serialport';
import { message, type Message } from '../../../shared/messages/catalogue.js';
import { formatMessage } from '../../../shared/messages/format.js';
import { StepAbortedError } from '../step-errors.js';
import { LineBuffer } from './line-buffer.js';

export interface SerialSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
  lineEnding: '\n' | '\r\n' | '\r';
}

export type SerialOpenProblem = 'missing' | 'permission' | 'busy' | 'not-serial' | 'other';

/** A port that could not be opened: the reason as a catalogue message, English in `message` for the log. */
export class SerialOpenError extends Error {
  override name = 'SerialOpenError';
  constructor(
    readonly problem: SerialOpenProblem,
    readonly path: string,
    readonly text: Message<`serial.open-${SerialOpenProblem}` | 'serial.port-unknown'>,
  ) {
    super(formatMessage(text, 'en'));
  }
}

/** The port went away while open (USB unplugged, the PTY's far end closed). */
export class SerialGoneError extends Error {
  override name = 'SerialGoneError';
  readonly text: Message<'serial.gone'>;
  constructor(readonly path: string) {
    const text = message('serial.gone', { port: path });
    super(formatMessage(text, 'en'));
    this.text = text;
  }
}

function classifyOpenError(path: string, err: Error): SerialOpenError {
  const m = err.message;
  const port = { port: path };
  if (/No such file|ENOENT|not found|Input\/output error|ENXIO/i.test(m)) return new SerialOpenError('missing', path, message('serial.open-missing', port));
  if (/Permission denied|EACCES|EPERM/i.test(m)) return new SerialOpenError('permission', path, message('serial.open-permission', port));
  if (/lock|busy|EBUSY|temporarily unavailable/i.test(m)) return new SerialOpenError('busy', path, message('serial.open-busy', port));
  if (/Inappropriate ioctl|ENOTTY/i.test(m)) return new SerialOpenError('not-serial', path, message('serial.open-not-serial', port));
  return new SerialOpenError('other', path, message('serial.open-other', { port: path, detail: m }));
}

/** EIO / ENXIO / EBADF: what writing to a port whose device went away fails with. */
function isDisconnect(err: unknown): boolean {
  return err instanceof Error && /Input\/output error|EIO|ENXIO|No such device|bad file descriptor|EBADF/i.test(err.message);
}

let openLinks = 0;

/**
 * One open serial port: writes text, hands out received lines in order, and notices when the port
 * disappears. Owners close it in a `finally`; `SerialLink.openCount()` lets tests check none leak.
 */
export class SerialLink {
  private readonly buffer = new LineBuffer();
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;
  private gone = false;
  private closed = false;
  private lastActivity = Date.now();

  private constructor(
    readonly path: string,
    readonly settings: SerialSettings,
    private readonly port: SerialPort,
  ) {
    port.on('data', (chunk: Buffer) => {
      this.lastActivity = Date.now();
      this.lines.push(...this.buffer.push(chunk));
      this.notify();
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (err?.disconnected || !this.closed) this.gone = true;
      this.markClosed();
      this.notify();
    });
    // Without a listener an 'error' event would throw and take the station down.
    port.on('error', () => {
      this.gone = true;
      this.notify();
    });
  }

  static openCount(): number {
    return openLinks;
  }

  /** Opens the port with the blueprint's settings and discards anything that was waiting in it. */
  static open(path: string, settings: SerialSettings): Promise<SerialLink> {
    return new Promise((resolve, reject) => {
      let port: SerialPort;
      try {
        port = new SerialPort({
          path,
          baudRate: settings.baudRate,
          dataBits: settings.dataBits,
          parity: settings.parity,
          stopBits: settings.stopBits,
          autoOpen: false,
          lock: true,
          // Keep DTR as it is on close, so closing does not reset boards that reset on DTR.
          hupcl: false,
        });
      } catch (err) {
        reject(classifyOpenError(path, err as Error));
        return;
      }
      port.open((err) => {
        if (err) {
          reject(classifyOpenError(path, err));
          return;
        }
        openLinks++;
        const link = new SerialLink(path, settings, port);
        port.flush(() => resolve(link));
      });
    });
  }

  /** Sends text followed by the line ending; resolves once it has left the buffer. */
  async writeLine(text: string): Promise<void> {
    if (this.gone || this.closed) throw new SerialGoneError(this.path);
    await new Promise<void>((resolve, reject) => {
      this.port.write(text + this.settings.lineEnding, (err) => (err ? reject(err) : undefined));
      this.port.drain((err) => (err ? reject(err) : resolve()));
    }).catch((err: unknown) => {
      if (this.gone || !this.port.isOpen || isDisconnect(err)) {
        this.gone = true;
        throw new SerialGoneError(this.path);
      }
      throw err;
    });
  }

  /**
   * The next received line, or null when `timeoutMs` passes without one. Throws SerialGoneError
   * when the port disappears and StepAbortedError when the signal aborts.
   */
  async nextLine(timeoutMs: number, signal: AbortSignal): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.gone) throw new SerialGoneError(this.path);
      if (signal.aborted) throw new StepAbortedError();
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const onAbort = () => done();
        signal.addEventListener('abort', onAbort, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
    }
  }

  /** Text received after the last line ending. */
  partialLine(): string {
    return this.buffer.pending();
  }

  /** Milliseconds since the device last sent anything. */
  quietFor(): number {
    return Date.now() - this.lastActivity;
  }

  /**
   * Drops everything received so far (before a send or a retry, so old answers are not taken for
   * new ones) and returns it, for the log: lines, then any unfinished line.
   */
  discardInput(): string[] {
    const dropped = this.lines.splice(0);
    const partial = this.buffer.pending();
    if (partial.length > 0) dropped.push(partial);
    this.buffer.clear();
    return dropped;
  }

  get isGone(): boolean {
    return this.gone;
  }

  /** Closes the port; safe to call more than once and after the port disappeared. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      if (!this.port.isOpen) {
        this.markClosed();
        resolve();
        return;
      }
      this.port.close(() => {
        this.markClosed();
        resolve();
      });
    });
  }

  private counted = true;
  private markClosed(): void {
    this.closed = true;
    if (this.counted) {
      this.counted = false;
      openLinks--;
    }
  }

  private notify(): void {
    this.wake?.();
  }
}
