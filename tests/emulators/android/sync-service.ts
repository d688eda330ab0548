import type { AdbdStream } from './adbd-stream.js';
import type { EmulatedTablet } from './emulated-tablet.js';

/**
 * adbd's `sync:` service (AOSP SYNC.TXT, file_sync_protocol.h): requests are a 4-byte id and a
 * 4-byte little-endian length (the path, the chunk size, or DONE's mtime). Served: STAT, STA2/LST2
 * (stat_v2), LIST, LIS2 (ls_v2), SEND "path,mode" + DATA chunks (≤ 64 KiB) + DONE mtime → OKAY,
 * RECV → DATA… DONE, QUIT.
 */

export const SYNC_DATA_MAX = 64 * 1024;
const ENOENT = 2;

function id(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  return b;
}

function fail(message: string): Buffer {
  return Buffer.concat([id('FAIL'), u32(Buffer.byteLength(message)), Buffer.from(message)]);
}

/** sync_stat_v2 / the head of sync_dent_v2: error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime. */
function statV2(st: { mode: number; size: number; mtime: number } | null): Buffer {
  const b = Buffer.alloc(68);
  if (!st) {
    b.writeUInt32LE(ENOENT, 0);
    return b;
  }
  b.writeBigUInt64LE(0xfd05n, 4);
  b.writeBigUInt64LE(BigInt(1000 + st.size), 12);
  b.writeUInt32LE(st.mode, 20);
  b.writeUInt32LE(1, 24);
  b.writeUInt32LE(2000, 28);
  b.writeUInt32LE(2000, 32);
  b.writeBigUInt64LE(BigInt(st.size), 36);
  for (const at of [44, 52, 60]) b.writeBigInt64LE(BigInt(st.mtime), at);
  return b;
}

/** Receives a SEND's DATA chunks until DONE; null when the host went away or broke the protocol. */
async function receiveFile(stream: AdbdStream, tablet: EmulatedTablet, target: string): Promise<{ data: Buffer; mtime: number } | null> {
  const parts: Buffer[] = [];
  for (;;) {
    const header = await stream.input.read(8);
    if (!header) return null;
    const kind = header.toString('latin1', 0, 4);
    const arg = header.readUInt32LE(4);
    if (kind === 'DONE') return { data: Buffer.concat(parts), mtime: arg };
    if (kind !== 'DATA' || arg > SYNC_DATA_MAX) return null;
    const chunk = await stream.input.read(arg);
    if (!chunk) return null;
    parts.push(chunk);
    if (tablet.faults.unplugDuringInstallAt !== undefined && target.endsWith('.apk')) {
      delete tablet.faults.unplugDuringInstallAt;
      tablet.link?.unplug();
      return null;
    }
  }
}

async function send(stream: AdbdStream, tablet: EmulatedTablet, spec: string): Promise<boolean> {
  const comma = spec.lastIndexOf(',');
  const target = comma < 0 ? spec : spec.slice(0, comma);
  const mode = comma < 0 ? 0o644 : Number(spec.slice(comma + 1));
  const file = await receiveFile(stream, tablet, target);
  if (!file) return false;
  const error = tablet.fs.write(target, file.data, mode, file.mtime);
  stream.write(
    error
      ? fail(`couldn't create file: ${error === 'EACCES' ? 'Permission denied' : error === 'EISDIR' ? 'Is a directory' : 'Not a directory'}`)
      : Buffer.concat([id('OKAY'), u32(0)]),
  );
  return true;
}

function recv(stream: AdbdStream, tablet: EmulatedTablet, p: string): void {
  const file = tablet.fs.read(p);
  if (typeof file === 'string') {
    stream.write(fail(file === 'ENOENT' ? 'No such file or directory' : 'Is a directory'));
    return;
  }
  for (let at = 0; at < file.data.length; at += SYNC_DATA_MAX) {
    const chunk = file.data.subarray(at, at + SYNC_DATA_MAX);
    stream.write(Buffer.concat([id('DATA'), u32(chunk.length), chunk]));
  }
  stream.write(Buffer.concat([id('DONE'), u32(0)]));
}

function list(stream: AdbdStream, tablet: EmulatedTablet, p: string, v2: boolean): void {
  for (const name of tablet.fs.list(p) ?? []) {
    const st = tablet.fs.stat(`${p}/${name}`);
    if (!st) continue;
    const nameBytes = Buffer.from(name);
    const head = v2
      ? Buffer.concat([id('DNT2'), statV2(st), u32(nameBytes.length)])
      : Buffer.concat([id('DENT'), u32(st.mode, st.size, st.mtime, nameBytes.length)]);
    stream.write(Buffer.concat([head, nameBytes]));
  }
  stream.write(Buffer.concat([id('DONE'), Buffer.alloc(v2 ? 72 : 16)]));
}

export async function runSync(stream: AdbdStream, tablet: EmulatedTablet): Promise<void> {
  for (;;) {
    const header = await stream.input.read(8);
    if (!header) break;
    const kind = header.toString('latin1', 0, 4);
    const length = header.readUInt32LE(4);
    if (kind === 'QUIT') break;
    if (length > 4096) {
      stream.write(fail('path too long'));
      break;
    }
    const arg = (await stream.input.read(length))?.toString('utf8');
    if (arg === undefined) break;
    tablet.history.push(`sync ${kind} ${arg}`);
    if (kind === 'STAT') {
      const st = tablet.fs.stat(arg);
      stream.write(Buffer.concat([id('STAT'), st ? u32(st.mode, st.size, st.mtime) : u32(0, 0, 0)]));
    } else if (kind === 'STA2' || kind === 'LST2') {
      stream.write(Buffer.concat([id(kind), statV2(tablet.fs.stat(arg))]));
    } else if (kind === 'LIST' || kind === 'LIS2') {
      list(stream, tablet, arg, kind === 'LIS2');
    } else if (kind === 'SEND') {
      if (!(await send(stream, tablet, arg))) break;
    } else if (kind === 'RECV') {
      recv(stream, tablet, arg);
    } else {
      stream.write(fail(`unknown command ${kind}`));
      break;
    }
  }
  stream.end();
}
