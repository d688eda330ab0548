import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';

/** The export target is not a file the export may replace; the message says what it is. */
export class ExportTargetError extends Error {
  override name = 'ExportTargetError';
}

/**
 * What `target` is when it is not a regular file (or absent): the rename would replace a symlink,
 * a device such as /dev/full, or a pipe with a plain file, which as root breaks the system.
 */
function refuseUnlessRegular(target: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (st.isFile()) return;
  const what = st.isSymbolicLink()
    ? 'a symbolic link'
    : st.isDirectory()
      ? 'a folder'
      : st.isFIFO()
        ? 'a named pipe (FIFO)'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : st.isSocket()
            ? 'a socket'
            : 'not a regular file';
  throw new ExportTargetError(`${target} is ${what}; an export only creates or replaces a regular file. Give another path (or "-" for standard output).`);
}

/** ".shift.csv.1234.ab12cd34.tmp": the temporary sibling of "shift.csv" written by process 1234. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary siblings of `target` that a crashed export left behind: those of processes
 * that no longer run. A running export's file (this process's or another's) is left alone.
 * Answers the names removed.
 */
export function removeStaleTempFiles(target: string): string[] {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || m[1] !== base) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    const file = path.join(dir, name);
    try {
      if (fs.lstatSync(file).isFile()) {
        fs.rmSync(file, { force: true });
        removed.push(name);
      }
    } catch {
      // Gone already, or not ours to remove: the next export tries again.
    }
  }
  return removed;
}

/**
 * Writes a file through a temporary sibling and renames it into place once complete and synced,
 * so a crash, a full disk or a failed export never leaves a half-written file under `file`.
 * `file` must be absent or a regular file; a symlink, device, folder or pipe is refused.
 * `write` must end the stream it is given (stream.pipeline does).
 */
export async function writeFileAtomically(file: string, write: (out: Writable) => Promise<void>): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) throw new Error(`The folder ${dir} does not exist.`);
  refuseUnlessRegular(target);
  removeStaleTempFiles(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
  try {
    const closed = new Promise<void>((resolve, reject) => {
      out.once('close', resolve);
      out.once('error', reject);
    });
    // If `write` fails, the stream's own error is the same failure: reported once, by `write`.
    closed.catch(() => undefined);
    await write(out);
    await closed;
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // Again: something may have been put there while the export ran.
    refuseUnlessRegular(target);
    fs.renameSync(tmp, target);
  } catch (err) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
