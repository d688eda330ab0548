import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build as buildPlist, parse as parseXmlPlist } from 'plist';

/**
 * Helpers for the emulator's cross-checks: finding the clients nobody here wrote (Debian's
 * libimobiledevice-utils, go-ios), running them against the emulator with a private HOME, and a
 * bare usbmuxd probe (header + XML plist, written from the protocol description, not from the
 * emulator's code) for what no installed tool shows, such as Listen across a usbmuxd restart.
 */

export function findOnPath(tool: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** go-ios 1.2.0's prebuilt binary: $BENCHLINE_GO_IOS, else where .ci/run installs the npm package. */
export function findGoIos(): string | null {
  const candidate =
    process.env['BENCHLINE_GO_IOS'] ?? path.join(os.homedir(), '.cache/benchline/go-ios/node_modules/go-ios/dist/go-ios-linux-amd64_linux_amd64/ios');
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return candidate;
  } catch {
    return null;
  }
}

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages a tool prints on either. */
  output: string;
}

/** Runs a client against the emulator: USBMUXD_SOCKET_ADDRESS set, HOME private to the test. */
export function runTool(file: string, args: string[], env: { address: string; home: string }): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: env.address, HOME: env.home }, timeout: 30_000, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type ProbeMessage = Record<string, unknown>;

/** A usbmuxd client speaking the plist protocol by hand. */
export class UsbmuxProbe {
  readonly socket: net.Socket;
  private buffer = Buffer.alloc(0);
  private readonly queue: Array<{ tag: number; message: ProbeMessage }> = [];
  private readonly waiters: Array<() => void> = [];
  private tag = 0;
  ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => {
      this.ended = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  static connect(address: string): Promise<UsbmuxProbe> {
    return new Promise((resolve, reject) => {
      const socket = address.startsWith('UNIX:')
        ? net.connect(address.slice(5))
        : net.connect(Number(address.slice(address.lastIndexOf(':') + 1)), address.slice(0, address.lastIndexOf(':')));
      socket.once('connect', () => resolve(new UsbmuxProbe(socket)));
      socket.once('error', reject);
    });
  }

  send(message: ProbeMessage): number {
    this.tag += 1;
    const body = Buffer.from(buildPlist({ ClientVersionString: 'benchline-probe', ProgName: 'benchline-probe', kLibUSBMuxVersion: 3, ...message }));
    const header = Buffer.alloc(16);
    header.writeUInt32LE(16 + body.length, 0);
    header.writeUInt32LE(1, 4);
    header.writeUInt32LE(8, 8);
    header.writeUInt32LE(this.tag, 12);
    this.socket.write(Buffer.concat([header, body]));
    return this.tag;
  }

  /** The next message; rejects when the connection ended first or nothing came within timeoutMs. */
  async next(timeoutMs = 10_000): Promise<{ tag: number; message: ProbeMessage }> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.ended) throw new Error('usbmuxd closed the connection');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no usbmuxd message in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.queue.shift()!;
  }

  /** Resolves when usbmuxd closed the connection. */
  whenEnded(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 16 && this.buffer.length >= this.buffer.readUInt32LE(0)) {
      const length = this.buffer.readUInt32LE(0);
      const tag = this.buffer.readUInt32LE(12);
      const message = parseXmlPlist(this.buffer.subarray(16, length).toString('utf8')) as ProbeMessage;
      this.buffer = this.buffer.subarray(length);
      this.queue.push({ tag, message });
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** A lockdown plist frame (4-byte big-endian length + XML), for probes that Connect to port 62078. */
export function lockdownFrame(message: ProbeMessage): Buffer {
  const body = Buffer.from(buildPlist(message as never));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Reads one lockdown frame from a piped probe socket. */
export function readLockdownFrame(socket: net.Socket, timeoutMs = 10_000): Promise<ProbeMessage> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('no lockdown answer in time')), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
        finish(null, parseXmlPlist(buffer.subarray(4, 4 + buffer.readUInt32BE(0)).toString('utf8')) as ProbeMessage);
      }
    };
    const onClose = (): void => finish(new Error('connection closed before the lockdown answer'));
    function finish(error: Error | null, message?: ProbeMessage): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(message!);
    }
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** PortNumber as usbmuxd wants it: network byte order in the plist integer. */
export function networkPort(port: number): number {
  return ((port & 0xff) << 8) | ((port >> 8) & 0xff);
}
