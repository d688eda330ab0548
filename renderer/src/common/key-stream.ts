/**
 * Tells a barcode scanner from a person at the keyboard. The scanner is a keyboard that types a
 * whole code in a burst (a few ms per character) and ends with Enter (or Tab). A printable key
 * on its own is a shortcut, but only once no second character follows within `maxGapMs`;
 * otherwise "R9W..." (an Android serial) would fire Retry on its first letter. Two or so quick
 * letters that no Enter ends (a person pressing N then D within 100 ms) are shortcuts too, in
 * order: too short for a scan, nothing else they could be. Space is never buffered: it presses
 * the focused button.
 */
export interface KeyStreamOptions {
  /** Longest pause between two characters of one scan. */
  maxGapMs?: number;
  /** Shortest code accepted as a scan. */
  minLength?: number;
  /** Longest pause between a code's last character and its Enter (some scanners pause there). */
  terminatorGapMs?: number;
}

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
}

export interface KeyStreamHandlers {
  onScan(code: string): void;
  /** Returns true when it acted on the key (the caller then prevents its default action). */
  onKey(key: string): boolean | void;
}

const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'Meta', 'CapsLock', 'AltGraph', 'Dead']);

export class KeyStream {
  private buffer = '';
  private lastAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly maxGap: number;
  private readonly minLength: number;
  private readonly terminatorGap: number;

  constructor(
    private readonly handlers: KeyStreamHandlers,
    opts: KeyStreamOptions = {},
  ) {
    this.maxGap = opts.maxGapMs ?? 50;
    this.minLength = opts.minLength ?? 3;
    this.terminatorGap = opts.terminatorGapMs ?? 1000;
  }

  /** Returns true when the key was taken (the caller then prevents its default action). */
  handle(e: KeyInput, now: number): boolean {
    if (MODIFIERS.has(e.key)) return false;
    if (e.ctrlKey || e.altKey || e.metaKey) {
      this.settle();
      return false;
    }
    const fast = this.buffer.length > 0 && now - this.lastAt <= this.maxGap;
    if (e.key.length === 1 && e.key !== ' ') {
      if (this.buffer.length > 0 && !fast) this.settle();
      this.buffer += e.key;
      this.lastAt = now;
      this.arm();
      return true;
    }
    const terminator = e.key === 'Enter' || e.key === 'Tab';
    if (terminator && this.buffer.length >= this.minLength && now - this.lastAt <= this.terminatorGap) {
      const code = this.buffer;
      this.reset();
      this.handlers.onScan(code);
      return true;
    }
    // A few characters ended at once by Enter were a scan too short to be a code: dropped.
    this.settle(!(terminator && fast));
    return this.handlers.onKey(e.key) === true;
  }

  /**
   * A burst is under way: a character came less than `maxGapMs` ago. Its next keys belong to it
   * even if focus moved into a text field meanwhile (a panel opened by the scan before).
   */
  inBurst(now: number): boolean {
    return this.buffer.length > 0 && now - this.lastAt <= this.maxGap;
  }

  /**
   * Ends a pending burst. One character was a shortcut; a burst shorter than a code (and not ended
   * by a terminator) was a person's quick shortcuts, replayed in order; a longer unterminated one
   * is dropped (a scan cut off by a pause).
   */
  settle(replayShort = true): void {
    const pending = this.buffer;
    this.reset();
    if (pending.length === 1 || (replayShort && pending.length < this.minLength)) for (const key of pending) this.handlers.onKey(key);
  }

  dispose(): void {
    this.reset();
  }

  /**
   * A lone character (or two, shorter than a code) become shortcuts once nothing followed in time. A burst is never
   * ended by a timer (a busy page may dispatch its Enter late); the next key's time decides.
   */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.buffer.length < this.minLength ? setTimeout(() => this.settle(), this.maxGap + 10) : null;
  }

  private reset(): void {
    this.buffer = '';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
