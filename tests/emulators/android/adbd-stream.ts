import { COMMAND } from './adb-packet.js';
import { ByteQueue } from './byte-queue.js';

/** What a stream needs from its transport. */
export interface StreamLink {
  send(command: number, arg0: number, arg1: number, payload?: Buffer): void;
  maxPayload(): number;
  /** Time the link takes to carry `bytes` from the host (null: none worth waiting for). */
  receiveDelay(bytes: number): Promise<void> | null;
  forget(localId: number): void;
}

/** Received bytes buffered before adbd stops acknowledging (the host then waits, as with a slow reader). */
const INPUT_HIGH_WATER = 2 * 1024 * 1024;

/**
 * One OPENed stream of an adbd transport: our local id, the host's remote id. Output goes out as
 * WRTE packets of at most the agreed payload size, one in flight until the host's OKAY; input is
 * acknowledged with OKAY once the link has carried it and the reader keeps up.
 */
export class AdbdStream {
  readonly localId: number;
  readonly remoteId: number;
  readonly service: string;
  readonly input = new ByteQueue();
  /** Called with each received chunk's size before it is acknowledged (progress, install faults). */
  onReceive: ((bytes: number) => void) | null = null;
  private readonly link: StreamLink;
  private queue: Buffer[] = [];
  private inFlight = false;
  private ending = false;
  private closedFlag = false;
  private okayOwed = false;
  private closeListeners: (() => void)[] = [];

  constructor(link: StreamLink, localId: number, remoteId: number, service: string) {
    this.link = link;
    this.localId = localId;
    this.remoteId = remoteId;
    this.service = service;
    this.input.onDrained = () => this.payOwedOkay();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  write(data: Buffer | string): void {
    if (this.closedFlag || this.ending) return;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const max = this.link.maxPayload();
    for (let at = 0; at < buf.length; at += max) this.queue.push(buf.subarray(at, at + max));
    this.pump();
  }

  /** Close once everything written has been acknowledged. */
  end(): void {
    this.ending = true;
    this.pump();
  }

  onClose(listener: () => void): void {
    if (this.closedFlag) listener();
    else this.closeListeners.push(listener);
  }

  /** The host acknowledged our last WRTE. */
  acknowledged(): void {
    this.inFlight = false;
    this.pump();
  }

  async received(data: Buffer): Promise<void> {
    this.input.push(data);
    this.onReceive?.(data.length);
    const delay = this.link.receiveDelay(data.length);
    if (delay) await delay;
    if (this.closedFlag) return;
    if (this.input.length < INPUT_HIGH_WATER) this.link.send(COMMAND.OKAY, this.localId, this.remoteId);
    else this.okayOwed = true;
  }

  /** The host closed the stream, or the transport went away. */
  remoteClosed(): void {
    this.finish();
  }

  private payOwedOkay(): void {
    if (!this.okayOwed || this.closedFlag || this.input.length >= INPUT_HIGH_WATER) return;
    this.okayOwed = false;
    this.link.send(COMMAND.OKAY, this.localId, this.remoteId);
  }

  private pump(): void {
    if (this.closedFlag || this.inFlight) return;
    const next = this.queue.shift();
    if (next) {
      this.inFlight = true;
      this.link.send(COMMAND.WRTE, this.localId, this.remoteId, next);
    } else if (this.ending) {
      this.link.send(COMMAND.CLSE, this.localId, this.remoteId);
      this.finish();
    }
  }

  private finish(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.queue = [];
    this.input.end();
    this.link.forget(this.localId);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
