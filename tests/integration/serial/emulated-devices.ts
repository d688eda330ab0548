import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Emulated serial devices on real pseudo-terminals: each is tests/tools/serial-device-emulator.mjs
 * behind its own socat PTY pair. socat must be installed (.ci/run installs it).
 */

export const EMULATOR = fileURLToPath(new URL('../../tools/serial-device-emulator.mjs', import.meta.url));

export function requireSocat(): void {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('These tests need socat (apt-get install socat; .ci/run installs it).');
}

export interface EmulatedDevice {
  readonly link: string;
  /** The PTY behind the link, "/dev/pts/7". */
  readonly pts: string;
  readonly serial: string;
  readonly proc: ChildProcess;
  /** Resolves when the emulator (and its PTY) is gone. */
  readonly exited: Promise<void>;
  /** Changes its behaviour: "garble", "stall@save", "partial", "none". */
  fault(fault: string): Promise<void>;
  /** Another device is put on the same port (the PTY stays): it answers with this serial number. */
  swap(serial: string): Promise<void>;
  /** Takes the device away: socat ends, the PTY disappears. */
  vanish(): Promise<void>;
}

export interface EmulatorOptions {
  dir: string;
  name: string;
  serial: string;
  /** Persisted settings, so a device that vanished comes back with what it saved. */
  state?: boolean;
  fault?: string[];
  rebootMs?: number;
  extra?: string[];
}

const running = new Set<EmulatedDevice>();

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startEmulator(opts: EmulatorOptions): Promise<EmulatedDevice> {
  const link = path.join(opts.dir, opts.name);
  const args = [EMULATOR, '--link', link, '--serial', opts.serial, '--reboot-ms', String(opts.rebootMs ?? 150)];
  if (opts.state !== false) args.push('--state', path.join(opts.dir, `${opts.name}.state.json`));
  for (const f of opts.fault ?? []) args.push('--fault', f);
  args.push(...(opts.extra ?? []));
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const waitFor = (text: string, ms = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes(text)) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`emulator ${opts.name}: no "${text}" within ${ms} ms (output: ${out})`));
      }, ms);
      const onExit = () => {
        cleanup();
        reject(new Error(`emulator ${opts.name} exited before "${text}" (output: ${out})`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        proc.stdout?.off('data', check);
        proc.off('exit', onExit);
      };
      proc.stdout?.on('data', check);
      proc.once('exit', onExit);
      check();
    });
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(`ready ${link}`);
  /** Sends a control line and waits for the emulator's acknowledgement. */
  const control = async (line: string, ack: string) => {
    const before = out.length;
    proc.stdin?.write(`${line}\n`);
    await new Promise<void>((resolve) => {
      const check = () => {
        if (out.slice(before).includes(ack)) {
          proc.stdout?.off('data', check);
          resolve();
        }
      };
      proc.stdout?.on('data', check);
      check();
    });
  };
  const device: EmulatedDevice = {
    link,
    pts: fs.realpathSync(link),
    serial: opts.serial,
    proc,
    exited,
    fault: (fault) => control(`${fault}`, `fault ${fault}`),
    swap: (serial) => control(`serial ${serial}`, `serial ${serial}`),
    async vanish() {
      proc.stdin?.write('vanish\n');
      await exited;
    },
  };
  running.add(device);
  void exited.then(() => running.delete(device));
  return device;
}

/** Ends every emulator this test file started (by its own pid). */
export async function stopAllEmulators(): Promise<void> {
  const all = [...running];
  for (const d of all) d.proc.stdin?.end();
  await Promise.race([Promise.all(all.map((d) => d.exited)), new Promise((r) => setTimeout(r, 3000))]);
  for (const d of all) if (d.proc.exitCode === null) d.proc.kill('SIGKILL');
}

/** Which of these emulators' PTYs this process still has open: a port left open after a step shows up here. */
export function openPtys(devices: readonly EmulatedDevice[]): string[] {
  const wanted = new Set(devices.map((d) => d.pts));
  const open: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (wanted.has(target)) open.push(target);
    } catch {
      // closed while listing
    }
  }
  return open;
}
