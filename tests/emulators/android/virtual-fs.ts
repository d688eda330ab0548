import path from 'node:path';

/** A file the emulated device holds (pushed with sync:, written by a command). */
export interface VirtualFile {
  data: Buffer;
  /** st_mode: type and permission bits (0o100644 for a regular file). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;

/** The few folders an Android 14 shell user sees and may write (/data/local/tmp, /sdcard). */
const FOLDERS = [
  '/',
  '/data',
  '/data/local',
  '/data/local/tmp',
  '/sdcard',
  '/sdcard/Download',
  '/storage',
  '/storage/emulated',
  '/storage/emulated/0',
  '/system',
];
const WRITABLE = ['/data/local/tmp', '/sdcard', '/storage/emulated/0'];

export type FsError = 'ENOENT' | 'EACCES' | 'EISDIR' | 'ENOTDIR';

/**
 * The device's file system as far as adb reaches it: a map of files and folders. Paths under
 * /sdcard and /storage/emulated/0 are the same storage on a real device; here they are kept apart,
 * which no test relies on.
 */
export class VirtualFs {
  private readonly files = new Map<string, VirtualFile>();
  private readonly folders = new Map<string, number>(FOLDERS.map((f) => [f, 0]));

  static normalize(p: string): string {
    const n = path.posix.normalize(p.startsWith('/') ? p : `/${p}`);
    return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
  }

  stat(p: string): { mode: number; size: number; mtime: number } | null {
    const n = VirtualFs.normalize(p);
    const file = this.files.get(n);
    if (file) return { mode: file.mode, size: file.data.length, mtime: file.mtime };
    const folderTime = this.folders.get(n);
    return folderTime === undefined ? null : { mode: S_IFDIR | 0o771, size: 3452, mtime: folderTime };
  }

  read(p: string): VirtualFile | FsError {
    const n = VirtualFs.normalize(p);
    if (this.folders.has(n)) return 'EISDIR';
    return this.files.get(n) ?? 'ENOENT';
  }

  /** Writes a file, creating its parent folders as adbd does for `push` (fixed_push_mkdir). */
  write(p: string, data: Buffer, mode: number, mtime: number): FsError | null {
    const n = VirtualFs.normalize(p);
    if (!this.writable(n)) return 'EACCES';
    if (this.folders.has(n)) return 'EISDIR';
    for (let dir = path.posix.dirname(n); !this.folders.has(dir); dir = path.posix.dirname(dir)) {
      if (this.files.has(dir)) return 'ENOTDIR';
      this.folders.set(dir, mtime);
    }
    this.files.set(n, { data, mode: S_IFREG | (mode & 0o7777), mtime });
    return null;
  }

  mkdir(p: string, mtime: number): FsError | null {
    const n = VirtualFs.normalize(p);
    if (!this.writable(n)) return 'EACCES';
    if (!this.folders.has(path.posix.dirname(n))) return 'ENOENT';
    this.folders.set(n, mtime);
    return null;
  }

  remove(p: string): FsError | null {
    const n = VirtualFs.normalize(p);
    if (this.folders.has(n)) return 'EISDIR';
    if (!this.files.has(n)) return 'ENOENT';
    if (!this.writable(n)) return 'EACCES';
    this.files.delete(n);
    return null;
  }

  /** Names directly inside a folder, sorted; null when it is no folder. */
  list(p: string): string[] | null {
    const n = VirtualFs.normalize(p);
    if (!this.folders.has(n)) return null;
    const prefix = n === '/' ? '/' : `${n}/`;
    const names = new Set<string>();
    for (const key of [...this.files.keys(), ...this.folders.keys()]) {
      if (key !== n && key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) names.add(key.slice(prefix.length));
    }
    return [...names].sort();
  }

  private writable(n: string): boolean {
    return WRITABLE.some((w) => n === w || n.startsWith(`${w}/`));
  }
}
