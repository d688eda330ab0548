import type { ShellCommand } from './android-shell.js';
import { S_IFDIR, VirtualFs, type FsError } from './virtual-fs.js';

/** toybox's file commands as far as a driver checks a pushed file: ls, stat, cat, rm, mkdir, touch. */

const FS_TEXT: Record<FsError, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
};

function flagsAndPaths(args: string[]): { flags: Set<string>; paths: string[] } {
  const flags = new Set<string>();
  const paths: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') && a.length > 1) for (const f of a.slice(1)) flags.add(f);
    else paths.push(a);
  }
  return { flags, paths };
}

function permissions(mode: number): string {
  const type = (mode & 0o170000) === S_IFDIR ? 'd' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (mode & (1 << (8 - i)) ? c : '-'));
  return type + bits.join('');
}

function localTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16);
}

function owner(p: string): string {
  return p.startsWith('/data/local/tmp') ? 'shell' : p.startsWith('/sdcard') || p.startsWith('/storage') ? 'u0_a180' : 'root';
}

const ls: ShellCommand = async (args, io, tablet) => {
  const { flags, paths } = flagsAndPaths(args);
  let status = 0;
  const targets = paths.length ? paths : ['/'];
  for (const p of targets) {
    const st = tablet.fs.stat(p);
    if (!st) {
      io.err(`ls: ${p}: No such file or directory\n`);
      status = 1;
      continue;
    }
    const isDir = (st.mode & 0o170000) === S_IFDIR && !flags.has('d');
    const entries = isDir ? (tablet.fs.list(p) ?? []).map((n) => ({ name: n, full: `${VirtualFs.normalize(p)}/${n}` })) : [{ name: p, full: p }];
    if (isDir && targets.length > 1) io.out(`${p}:\n`);
    for (const e of entries) {
      if (!flags.has('l')) {
        io.out(`${e.name}\n`);
        continue;
      }
      const s = tablet.fs.stat(e.full);
      if (s) io.out(`${permissions(s.mode)} 1 ${owner(e.full)} ${owner(e.full)} ${s.size} ${localTime(s.mtime)} ${e.name}\n`);
    }
  }
  return status;
};

const stat: ShellCommand = async (args, io, tablet) => {
  let format: string | null = null;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c') format = args[++i] ?? '';
    else if (!(args[i] as string).startsWith('-')) paths.push(args[i] as string);
  }
  let status = 0;
  for (const p of paths) {
    const st = tablet.fs.stat(p);
    if (!st) {
      io.err(`stat: '${p}': No such file or directory\n`);
      status = 1;
      continue;
    }
    const type = (st.mode & 0o170000) === S_IFDIR ? 'directory' : 'regular file';
    if (format !== null) {
      const fields: Record<string, string> = {
        s: String(st.size),
        n: p,
        a: (st.mode & 0o7777).toString(8),
        A: permissions(st.mode),
        Y: String(st.mtime),
        F: type,
        U: owner(p),
        G: owner(p),
      };
      io.out(`${format.replace(/%([a-zA-Z%])/g, (_, f: string) => (f === '%' ? '%' : (fields[f] ?? '?')))}\n`);
      continue;
    }
    const perm = `${(st.mode & 0o7777).toString(8).padStart(4, '0')}/${permissions(st.mode)}`;
    const time = `${new Date(st.mtime * 1000).toISOString().replace('T', ' ').replace('Z', '')}000000 +0000`;
    io.out(
      `  File: ${p}\n  Size: ${st.size}\t Blocks: ${Math.ceil(st.size / 512)}\t IO Blocks: 4096\t${type}\n` +
        `Device: fd05h/64773d\t Inode: ${1000 + st.size}\t Links: 1\n` +
        `Access: (${perm})\tUid: ( 2000/   ${owner(p)})\tGid: ( 2000/   ${owner(p)})\n` +
        `Access: ${time}\nModify: ${time}\nChange: ${time}\n`,
    );
  }
  return status;
};

const cat: ShellCommand = async (args, io, tablet) => {
  if (!args.length) {
    io.out(await io.stdin.readAll());
    return 0;
  }
  let status = 0;
  for (const p of args) {
    const file = tablet.fs.read(p);
    if (typeof file === 'string') {
      io.err(`cat: ${p}: ${FS_TEXT[file]}\n`);
      status = 1;
    } else io.out(file.data);
  }
  return status;
};

const rm: ShellCommand = async (args, io, tablet) => {
  const { flags, paths } = flagsAndPaths(args);
  let status = 0;
  for (const p of paths) {
    const error = tablet.fs.remove(p);
    if (error && !(error === 'ENOENT' && flags.has('f'))) {
      io.err(`rm: ${p}: ${FS_TEXT[error]}\n`);
      status = 1;
    }
  }
  return status;
};

const mkdir: ShellCommand = async (args, io, tablet) => {
  const { paths } = flagsAndPaths(args);
  for (const p of paths) {
    if (tablet.fs.stat(p)) continue;
    const error = tablet.fs.mkdir(p, Math.floor(Date.now() / 1000));
    if (error) {
      io.err(`mkdir: '${p}': ${FS_TEXT[error]}\n`);
      return 1;
    }
  }
  return 0;
};

const touch: ShellCommand = async (args, io, tablet) => {
  for (const p of flagsAndPaths(args).paths) {
    const existing = tablet.fs.read(p);
    const error = tablet.fs.write(p, typeof existing === 'string' ? Buffer.alloc(0) : existing.data, 0o666, Math.floor(Date.now() / 1000));
    if (error) {
      io.err(`touch: '${p}': ${FS_TEXT[error]}\n`);
      return 1;
    }
  }
  return 0;
};

export const FILE_COMMANDS: Readonly<Record<string, ShellCommand>> = { ls, stat, cat, rm, mkdir, touch };
