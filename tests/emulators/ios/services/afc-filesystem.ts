import type { EmulatedIpadState } from '../emulated-ipad.js';
import { AfcStatus, type AfcStatusCode } from './afc-protocol.js';
import { extrasOf } from './device-extras.js';

/**
 * The media partition AFC sees (/var/mobile/Media), over the device's `files` map (path -> bytes,
 * e.g. "PublicStaging/app.ipa"). Directories are implicit in the file paths, plus the ones made with
 * MakeDir (kept beside the state) and the folders every iPad has. Paths are normalised relative to
 * the media root; a path that climbs out of it is refused, as the AFC jail does.
 */

/** Folders a fresh iPad's media partition holds (assumed from what `afc ls /` shows on devices). */
const BASE_DIRECTORIES = ['Books', 'DCIM', 'Downloads', 'iTunes_Control', 'PhotoData', 'Photos', 'Purchases', 'Recordings'];

export type FsResult = { ok: true } | { ok: false; status: AfcStatusCode };
const OK: FsResult = { ok: true };
const fail = (status: AfcStatusCode): FsResult => ({ ok: false, status });

/** "/PublicStaging//x/./y" -> "PublicStaging/x/y"; "" is the root; null when it leaves the root. */
export function normalizeAfcPath(raw: string): string | null {
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function under(path: string, dir: string): boolean {
  return dir === '' ? path !== '' : path.startsWith(`${dir}/`);
}

export function isDirectory(device: EmulatedIpadState, path: string): boolean {
  if (path === '' || BASE_DIRECTORIES.includes(path) || extrasOf(device).directories.has(path)) return true;
  for (const p of device.files.keys()) if (under(p, path)) return true;
  for (const d of extrasOf(device).directories) if (under(d, path)) return true;
  return false;
}

export function exists(device: EmulatedIpadState, path: string): boolean {
  return device.files.has(path) || isDirectory(device, path);
}

/** The names directly inside `dir`, with "." and ".." first as AFC lists them; null when no directory. */
export function listDirectory(device: EmulatedIpadState, dir: string): string[] | null {
  if (!isDirectory(device, dir)) return null;
  const names = new Set<string>();
  const candidates = [...device.files.keys(), ...extrasOf(device).directories, ...(dir === '' ? BASE_DIRECTORIES : [])];
  for (const p of candidates) {
    if (!under(p, dir)) continue;
    const rest = dir === '' ? p : p.slice(dir.length + 1);
    names.add(rest.split('/')[0] as string);
  }
  return ['.', '..', ...[...names].sort()];
}

/** MakeDir creates the missing parents too (pymobiledevice3's makedirs sends one MakeDir for a deep path). */
export function makeDirectory(device: EmulatedIpadState, path: string): FsResult {
  if (path === '') return OK;
  for (let p = path; p !== ''; p = parentOf(p)) if (device.files.has(p)) return fail(AfcStatus.objectExists);
  for (let p = path; p !== ''; p = parentOf(p)) extrasOf(device).directories.add(p);
  return OK;
}

export function removePath(device: EmulatedIpadState, path: string, recursive: boolean): FsResult {
  if (path === '') return fail(AfcStatus.permissionDenied);
  if (device.files.delete(path)) return OK;
  if (!isDirectory(device, path)) return fail(AfcStatus.objectNotFound);
  const directories = extrasOf(device).directories;
  const inside = [...device.files.keys(), ...directories].filter((p) => under(p, path));
  if (inside.length > 0 && !recursive) return fail(AfcStatus.dirNotEmpty);
  for (const p of inside) {
    device.files.delete(p);
    directories.delete(p);
  }
  directories.delete(path);
  return OK;
}

export function renamePath(device: EmulatedIpadState, from: string, to: string): FsResult {
  if (from === '' || to === '' || under(to, from)) return fail(AfcStatus.invalidArgument);
  if (!isDirectory(device, parentOf(to))) return fail(AfcStatus.objectNotFound);
  const file = device.files.get(from);
  if (file) {
    if (isDirectory(device, to)) return fail(AfcStatus.objectIsDir);
    device.files.delete(from);
    device.files.set(to, file);
    return OK;
  }
  if (!isDirectory(device, from)) return fail(AfcStatus.objectNotFound);
  const directories = extrasOf(device).directories;
  for (const [p, data] of [...device.files]) {
    if (!under(p, from)) continue;
    device.files.delete(p);
    device.files.set(`${to}${p.slice(from.length)}`, data);
  }
  for (const d of [...directories]) {
    if (d !== from && !under(d, from)) continue;
    directories.delete(d);
    directories.add(`${to}${d.slice(from.length)}`);
  }
  directories.add(to);
  return OK;
}

/** GetFileInfo's key/value pairs (times in nanoseconds, as devices send them); null when nothing is there. */
export function fileInfo(device: EmulatedIpadState, path: string, now: number): string[] | null {
  const ns = String(BigInt(now) * 1_000_000n);
  const file = device.files.get(path);
  if (file) {
    return [
      'st_size',
      String(file.length),
      'st_blocks',
      String(Math.ceil(file.length / 512)),
      'st_nlink',
      '1',
      'st_ifmt',
      'S_IFREG',
      'st_mtime',
      ns,
      'st_birthtime',
      ns,
    ];
  }
  const entries = listDirectory(device, path);
  if (!entries) return null;
  return [
    'st_size',
    String(entries.length * 32),
    'st_blocks',
    '0',
    'st_nlink',
    String(entries.length),
    'st_ifmt',
    'S_IFDIR',
    'st_mtime',
    ns,
    'st_birthtime',
    ns,
  ];
}
