import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(REPO, 'main', 'bin', 'benchline.mjs');

/** Runs `benchline ...` to completion (the built CLI in dist/). */
export function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: REPO, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  /** Stops this process by its id: SIGKILL (a crash) or SIGTERM (an orderly stop). */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

/** Starts `benchline ...` and waits until its output matches ready. */
export async function start(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: Child; match: RegExpMatchArray }> {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    proc,
    output: () => out,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`benchline ${args.join(' ')} did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`benchline ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
  return { child, match };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP relay to the hub that can cut a station off the network and let it back on. */
export class CuttableLink {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private offline = false;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      if (this.offline) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  setOffline(offline: boolean): void {
    this.offline = offline;
    if (offline) for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.setOffline(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export { until } from '../fixtures/until.js';
