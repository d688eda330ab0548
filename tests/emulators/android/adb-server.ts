import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real adb server (Debian's adb) for a test: its own port and a temporary HOME (adb keeps its
 * key pair in ~/.android), never the default 5037. `run` calls the adb client against it.
 */

/** Whether Debian's `adb` is on PATH: tests that need the real adb server skip, saying so, where it is not. */
export function hasAdb(): boolean {
  try {
    execFileSync('adb', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface AdbResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AdbServer {
  port: number;
  home: string;
  /** Runs `adb -P PORT …`; standard input is `input` (then closed) or empty. */
  run(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<AdbResult>;
  /** `adb kill-server` and the temporary HOME removed. */
  stop(): Promise<void>;
}

/** A free loopback port. (tests/integration/hub-processes.ts has one too, but it is not erasable TypeScript, so Node could not load this file through it.) */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startAdbServer(adb = 'adb'): Promise<AdbServer> {
  const port = await freePort();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-adb-home-'));
  const env = { ...process.env, HOME: home, ANDROID_ADB_SERVER_PORT: String(port) };
  const run = (args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<AdbResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(adb, ['-P', String(port), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
      });
      // adb may exit before it reads its input (kill-server does): the closed pipe is no failure.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input ?? '');
    });
  const started = await run(['start-server']);
  if (started.code !== 0) throw new Error(`adb start-server failed: ${started.stderr}`);
  return {
    port,
    home,
    run,
    async stop() {
      await run(['kill-server']);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
