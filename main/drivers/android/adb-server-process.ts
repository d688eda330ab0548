import { execFile } from 'node:child_process';

/** The adb server's port: ANDROID_ADB_SERVER_PORT (as adb itself reads it), else 5037. */
export function adbServerPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ANDROID_ADB_SERVER_PORT?.trim();
  const port = raw ? Number(raw) : 5037;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ANDROID_ADB_SERVER_PORT must be a port number (1-65535), not "${raw}"`);
  return port;
}

/** Why the station could not start an adb server. */
export class AdbStartError extends Error {
  override name = 'AdbStartError';
  constructor(
    readonly problem: 'missing' | 'failed',
    readonly binary: string,
    /** What adb printed (or the system said). */
    readonly detail: string,
  ) {
    super(problem === 'missing' ? `adb not found at "${binary}"` : `adb start-server failed: ${detail}`);
  }
}

/**
 * Starts an adb server on `port` with the adb binary (--adb PATH, else `adb` on PATH): `adb -P
 * PORT start-server` returns once the server listens, and does nothing when one runs already.
 */
export function startAdbServer(binary: string, port: number, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['-P', String(port), 'start-server'], { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) {
        resolve();
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      const output = `${stdout}${stderr}`.trim();
      reject(new AdbStartError(code === 'ENOENT' || code === 'EACCES' ? 'missing' : 'failed', binary, output || err.message));
    });
  });
}
