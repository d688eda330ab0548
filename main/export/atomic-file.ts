import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';

/**
 * Writes a file through a temporary sibling and renames it into place once complete and synced,
 * so a crash, a full disk or a failed export never leaves a half-written file under `file`.
 * `write` must end the stream it is given (stream.pipeline does).
 */
export async function writeFileAtomically(file: string, write: (out: Writable) => Promise<void>): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) throw new Error(`The folder ${dir} does not exist.`);
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
    fs.renameSync(tmp, target);
  } catch (err) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
