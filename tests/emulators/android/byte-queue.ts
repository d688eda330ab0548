/**
 * Bytes arriving in chunks (a stream's WRTE payloads, a shell's standard input) read as exact
 * lengths or as they come. `onDrained` lets the producer resume (adbd's delayed OKAY).
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private wake: (() => void) | null = null;
  onDrained: (() => void) | null = null;

  get length(): number {
    return this.size;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  push(chunk: Buffer): void {
    if (this.ended || !chunk.length) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.signal();
  }

  end(): void {
    this.ended = true;
    this.signal();
  }

  /** Exactly `n` bytes, or null when the queue ends before they arrive. */
  async read(n: number): Promise<Buffer | null> {
    while (this.size < n) {
      if (this.ended) return null;
      await this.waitForData();
    }
    return this.take(n);
  }

  /** Whatever has arrived (at least one byte), or null at the end. */
  async readSome(): Promise<Buffer | null> {
    while (!this.size) {
      if (this.ended) return null;
      await this.waitForData();
    }
    return this.take(this.size);
  }

  /** Everything until the end. */
  async readAll(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let chunk = await this.readSome(); chunk; chunk = await this.readSome()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    this.onDrained?.();
    return out;
  }

  private waitForData(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
