// The one module that talks to the adb server through a Node client; everything else in the
// Android driver sees only the interfaces below (and the unit tests mock exactly these).
//
// Client: @yume-chan/adb + @yume-chan/adb-server-node-tcp, not @devicefarmer/adbkit, because
// - it is written in TypeScript (its own types, no `any` to wrap) and maintained (2.x releases),
//   with no dependencies outside its own small stream/struct packages (~4 MB; adbkit pulls
//   bluebird, commander, debug, split and its logcat/monkey packages);
// - it speaks what the steps need: shell v2 (stdout, stderr and the exit code apart), raw device
//   services (`abb_exec:`, `exec:cmd package install -S`) for streamed installs, sync push with
//   web streams, selection by transport id (a command never reaches a device that re-attached
//   under the same serial), and the device's feature list;
// - adbkit 3 tracks with `host:track-devices` (no `usb:` path), runs shell v1 only and installs
//   only by push + `pm install`.
// What it lacks we do here: its device-list parser drops the `usb:` path and the `offline` state,
// so tracking reads `host:track-devices-l` itself (device-list.ts parses it).
import fs from 'node:fs';
import { AdbServerClient, type Adb, type AdbSocket } from '@yume-chan/adb';
import { AdbServerNodeTcpConnector } from '@yume-chan/adb-server-node-tcp';
import { parseDeviceList, type AdbDeviceEntry } from './device-list.js';

/** What a shell command answered. */
export interface ShellResult {
  /** stdout and stderr together (shell v1 mixes them anyway); what the device said, for parsing and the log. */
  text: string;
  /** The exit code under shell v2; null under shell v1, which does not tell it. Never decides success. */
  exitCode: number | null;
}

/** One device behind the adb server, on one transport (a re-attached device is a new link). */
export interface AdbDeviceLink {
  readonly serial: string;
  readonly transportId: string;
  /** The features adbd advertises: `shell_v2`, `cmd`, `abb_exec`, ... */
  readonly features: ReadonlySet<string>;
  shell(command: string, signal: AbortSignal): Promise<ShellResult>;
  /** Opens a raw service (`abb_exec:...`, `exec:cmd package install -S N`), writes the file into it and returns its answer text. */
  streamFile(service: string, file: string, signal: AbortSignal, onBytes: (sent: number) => void): Promise<string>;
  push(file: string, remotePath: string, signal: AbortSignal, onBytes: (sent: number) => void): Promise<void>;
  reboot(): Promise<void>;
  close(): void;
}

/** The adb server: tracking, host commands and device links. */
export interface AdbServer {
  readonly port: number;
  /** Resolves when a server answers `host:version`; rejects with AdbLinkError('server-unreachable'). */
  version(signal?: AbortSignal): Promise<number>;
  /**
   * Follows `host:track-devices-l`: `onList` gets the whole list at once and after every change.
   * Resolves when `signal` aborts; rejects with AdbLinkError('server-unreachable') when the server goes.
   */
  track(onList: (devices: AdbDeviceEntry[]) => void, signal: AbortSignal): Promise<void>;
  /** `adb devices -l` once (adb 29's tracking misses some state changes: offline, unauthorized). */
  devices(): Promise<AdbDeviceEntry[]>;
  /** `adb connect HOST:PORT` (network devices come back only this way after a server restart). */
  connect(address: string): Promise<string>;
  /** `adb disconnect HOST:PORT`. */
  disconnect(address: string): Promise<string>;
  /** `adb reconnect offline`: the server drops and re-opens its offline USB transports. */
  reconnectOffline(): Promise<void>;
  open(serial: string, transportId: string, signal: AbortSignal): Promise<AdbDeviceLink>;
}

export type AdbLinkErrorKind =
  /** No server answers at the port (not started, killed). */
  | 'server-unreachable'
  /** The server does not know the device or transport any more, or the device went offline. */
  | 'device-gone'
  /** The server or the device refused the request (`FAIL` with a reason). */
  | 'refused';

export class AdbLinkError extends Error {
  override name = 'AdbLinkError';
  constructor(
    readonly kind: AdbLinkErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** FAIL reasons of the adb server that mean the device is not (or no longer) there. */
const DEVICE_GONE =
  /device .* not found|no devices\/emulators found|device offline|no device with transport id|device unauthorized|device still authorizing|device still connecting|transport.*(closed|disconnected)/i;

/**
 * What @yume-chan/adb throws when the connection ends in the middle of an answer (the server was
 * killed, the transport dropped): the request was not refused, it lost its way to the tablet.
 */
const CONNECTION_ENDED = /ExactReadable ended|Socket ended without exit message/;

/** Errno codes of a server that is not (or no longer) there. */
const SERVER_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOENT']);

/** A thrown error as an AdbLinkError (kept as it is when it is one). */
export function toLinkError(err: unknown): AdbLinkError {
  if (err instanceof AdbLinkError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (code && SERVER_DOWN.has(code)) return new AdbLinkError('server-unreachable', text);
  // A refusal is the server's FAIL answer, a plain Error with its reason; a system or stream error
  // (ECANCELED, ERR_STREAM_DESTROYED: written into a connection closed under the upload) is the
  // connection breaking, as is a stream that ended mid-answer.
  if (typeof code === 'string' || DEVICE_GONE.test(text) || CONNECTION_ENDED.test(text)) return new AdbLinkError('device-gone', text);
  return new AdbLinkError('refused', text);
}

/** Runs `work`, turning whatever it throws into an AdbLinkError. */
async function linked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toLinkError(err);
  }
}

const decoder = () => new TextDecoder('utf-8');

/** Reads a stream of bytes to its end as text. */
async function readAllText(readable: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<string> {
  const reader = readable.getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  const text = decoder();
  let out = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out += text.decode(value, { stream: true });
    }
    return out + text.decode();
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

/** A file as a web stream of chunks, counting the bytes as they leave. */
function fileStream(file: string, onBytes: (sent: number) => void): ReadableStream<Uint8Array> {
  let handle: fs.promises.FileHandle | null = null;
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async start() {
      handle = await fs.promises.open(file, 'r');
    },
    async pull(controller) {
      const buffer = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await handle!.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) {
        await handle!.close();
        handle = null;
        controller.close();
        return;
      }
      sent += bytesRead;
      controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
      onBytes(sent);
    },
    async cancel() {
      await handle?.close();
      handle = null;
    },
  });
}

/** Closes a socket when the signal aborts; returns the cleanup. */
function closeOnAbort(socket: AdbSocket, signal: AbortSignal): () => void {
  const onAbort = () => void Promise.resolve(socket.close()).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

class YumeDeviceLink implements AdbDeviceLink {
  readonly features: ReadonlySet<string>;
  constructor(
    private readonly adb: Adb,
    readonly serial: string,
    readonly transportId: string,
  ) {
    this.features = new Set(adb.deviceFeatures);
  }

  shell(command: string, signal: AbortSignal): Promise<ShellResult> {
    return linked(async () => {
      signal.throwIfAborted();
      if (this.features.has('shell_v2')) {
        const shell = this.adb.subprocess.shellProtocol!;
        const process = await shell.spawn(command, signal);
        const [stdout, stderr, exitCode] = await Promise.all([
          readAllText(process.stdout as ReadableStream<Uint8Array>, signal),
          readAllText(process.stderr as ReadableStream<Uint8Array>, signal),
          process.exited,
        ]);
        return { text: joinOutput(stdout, stderr), exitCode };
      }
      // Shell v1: one stream, stdout and stderr mixed, line ends as a terminal writes them.
      const socket = await this.adb.createSocket(`shell:${command}`);
      const release = closeOnAbort(socket, signal);
      try {
        const text = await readAllText(socket.readable as ReadableStream<Uint8Array>, signal);
        return { text: text.replace(/\r\n/g, '\n'), exitCode: null };
      } finally {
        release();
        await Promise.resolve(socket.close()).catch(() => undefined);
      }
    });
  }

  streamFile(service: string, file: string, signal: AbortSignal, onBytes: (sent: number) => void): Promise<string> {
    return linked(async () => {
      signal.throwIfAborted();
      const socket = await this.adb.createSocket(service);
      const release = closeOnAbort(socket, signal);
      try {
        // The answer is read while the file goes in: the device may refuse before the end.
        const answer = readAllText(socket.readable as ReadableStream<Uint8Array>, signal);
        // The socket takes plain chunks too (MaybeConsumable); the DOM typing in eslint and tsc differ on it.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        await fileStream(file, onBytes).pipeTo(socket.writable as WritableStream<Uint8Array>, { preventClose: true, signal });
        const text = await answer;
        // The package service always answers; silence is the connection dropping (server or tablet gone).
        if (!text.trim()) throw new AdbLinkError('device-gone', `${service.split(':')[0]}: the connection closed before the tablet answered`);
        return text;
      } finally {
        release();
        await Promise.resolve(socket.close()).catch(() => undefined);
      }
    });
  }

  push(file: string, remotePath: string, signal: AbortSignal, onBytes: (sent: number) => void): Promise<void> {
    return linked(async () => {
      signal.throwIfAborted();
      const sync = await this.adb.sync();
      const onAbort = () => void sync.dispose().catch(() => undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const stat = await fs.promises.stat(file);
        await sync.write({
          filename: remotePath,
          file: fileStream(file, onBytes) as Parameters<typeof sync.write>[0]['file'],
          permission: 0o644,
          mtime: Math.floor(stat.mtimeMs / 1000),
        });
      } finally {
        signal.removeEventListener('abort', onAbort);
        await sync.dispose().catch(() => undefined);
      }
    });
  }

  reboot(): Promise<void> {
    return linked(async () => {
      // The device may drop the connection before it answers: that is the reboot starting.
      await this.adb.power.reboot().catch((err: unknown) => {
        if (toLinkError(err).kind === 'refused') throw err;
      });
    });
  }

  close(): void {
    void this.adb.close().catch(() => undefined);
  }
}

function joinOutput(stdout: string, stderr: string): string {
  if (!stderr) return stdout;
  if (!stdout) return stderr;
  return stdout.endsWith('\n') ? stdout + stderr : `${stdout}\n${stderr}`;
}

/** The adb server on 127.0.0.1:port through @yume-chan/adb. */
export class YumeAdbServer implements AdbServer {
  private readonly client: AdbServerClient;

  constructor(readonly port: number) {
    this.client = new AdbServerClient(new AdbServerNodeTcpConnector({ host: '127.0.0.1', port }));
  }

  version(signal?: AbortSignal): Promise<number> {
    return linked(async () => {
      const stream = await this.client.createConnection('host:version', signal ? { signal } : undefined);
      try {
        return Number.parseInt(await stream.readString(), 16);
      } finally {
        await stream.dispose();
      }
    });
  }

  track(onList: (devices: AdbDeviceEntry[]) => void, signal: AbortSignal): Promise<void> {
    return linked(async () => {
      const stream = await this.client.createConnection('host:track-devices-l', { signal });
      const onAbort = () => void stream.dispose().catch(() => undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          const text = await stream.readString();
          if (signal.aborted) return;
          onList(parseDeviceList(text));
        }
      } catch (err) {
        if (signal.aborted) return;
        throw new AdbLinkError('server-unreachable', `adb server tracking ended: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    });
  }

  async devices(): Promise<AdbDeviceEntry[]> {
    return parseDeviceList(await this.hostRequest('host:devices-l'));
  }

  connect(address: string): Promise<string> {
    return this.hostRequest(`host:connect:${address}`);
  }

  disconnect(address: string): Promise<string> {
    return this.hostRequest(`host:disconnect:${address}`);
  }

  async reconnectOffline(): Promise<void> {
    await this.hostRequest('host:reconnect-offline');
  }

  open(serial: string, transportId: string, signal: AbortSignal): Promise<AdbDeviceLink> {
    return linked(async () => {
      signal.throwIfAborted();
      const adb = await this.client.createAdb({ transportId: BigInt(transportId) });
      return new YumeDeviceLink(adb, serial, transportId);
    });
  }

  private hostRequest(request: string): Promise<string> {
    return linked(async () => {
      const stream = await this.client.createConnection(request);
      try {
        return await stream.readString();
      } finally {
        await stream.dispose();
      }
    });
  }
}
