import type { AndroidDevice } from './android-device.js';
import { parseDumpsysPackage, parseInstallOutput, parseInstallSession, parsePackageList, type InstallResult, type InstalledVersion } from './device-output.js';

/** One file of an app: the base APK or a configuration split. */
export interface ApkPart {
  path: string;
  size: number;
  /** The name the session gives the part ("base.apk", "config.arm64_v8a.apk"). */
  name: string;
  sha256: string;
}

/**
 * How an APK reaches the tablet, by what adbd offers (as adb's own client/adb_install.cpp picks):
 * `abb_exec` (Android 10+) streams into the package service, `cmd` (Android 7+) streams through
 * `cmd package`, older tablets get the file pushed to /data/local/tmp and `pm install`.
 */
export type InstallMethod = 'abb_exec' | 'cmd' | 'legacy';

export function installMethod(features: ReadonlySet<string>): InstallMethod {
  if (features.has('abb_exec')) return 'abb_exec';
  if (features.has('cmd')) return 'cmd';
  return 'legacy';
}

/** A shell command with its logged answer (steps/tablet-shell.ts). */
export type Run = (command: string) => Promise<string>;

/** The installed version of a package; null when it is not installed. */
export async function installedVersion(run: Run, pkg: string): Promise<InstalledVersion | null> {
  const listed = await run(`pm list packages --show-versioncode ${pkg}`);
  const parsed = parsePackageList(listed, pkg);
  if (parsed.listed && parsed.versionCode !== null) return { versionCode: parsed.versionCode, versionName: null };
  // An older pm without --show-versioncode (it names the option, or lists no code): dumpsys knows.
  if (!parsed.listed && !/Unknown option|Error|Exception/i.test(listed)) return null;
  return parseDumpsysPackage(await run(`dumpsys package ${pkg}`), pkg);
}

export interface InstallIo {
  device: AndroidDevice;
  run: Run;
  signal: AbortSignal;
  /** Bytes sent of all parts together. */
  onBytes(sent: number): void;
  log(message: string): void;
}

/** The raw service that takes a streamed part (`-` reads stdin), for abb_exec or cmd. */
function streamService(method: 'abb_exec' | 'cmd', args: readonly string[]): string {
  return method === 'abb_exec' ? `abb_exec:${['package', ...args].join('\0')}` : `exec:cmd package ${args.join(' ')}`;
}

/** Installs an app (one APK, or a base APK with its splits); the answer is read from the tablet's text. */
export async function installApk(io: InstallIo, parts: readonly ApkPart[], method: InstallMethod): Promise<InstallResult> {
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  if (parts.length === 1 && method !== 'legacy') {
    const part = parts[0]!;
    io.log(`streaming ${part.name} (${part.size} bytes) through ${method}`);
    const answer = await io.device.streamFile(streamService(method, ['install', '-r', '-S', String(part.size)]), part.path, io.signal, (sent) =>
      io.onBytes(sent),
    );
    io.log(answer.trim());
    return parseInstallOutput(answer);
  }
  if (method === 'legacy') return legacyInstall(io, parts, total);
  return sessionInstall(io, parts, total, method);
}

/** Split APKs streamed into one install session (install-create, install-write per part, install-commit). */
async function sessionInstall(io: InstallIo, parts: readonly ApkPart[], total: number, method: 'abb_exec' | 'cmd'): Promise<InstallResult> {
  const created = await io.run(`cmd package install-create -r -S ${total}`);
  const session = parseInstallSession(created);
  if (session === null) return parseFailure(created);
  let done = 0;
  try {
    for (const part of parts) {
      const args = ['install-write', '-S', String(part.size), String(session), part.name, '-'];
      const answer = await io.device.streamFile(streamService(method, args), part.path, io.signal, (sent) => io.onBytes(done + sent));
      io.log(answer.trim());
      const written = parseInstallOutput(answer);
      if (!written.ok) {
        await abandon(io, session);
        return written;
      }
      done += part.size;
    }
    return parseInstallOutput(await io.run(`cmd package install-commit ${session}`));
  } catch (err) {
    await abandon(io, session);
    throw err;
  }
}

/** Older tablets: every part pushed to /data/local/tmp, then pm install (or a pm session for splits); the copies are removed. */
async function legacyInstall(io: InstallIo, parts: readonly ApkPart[], total: number): Promise<InstallResult> {
  const remote = parts.map((p) => `/data/local/tmp/benchline-${p.sha256.slice(0, 16)}.apk`);
  try {
    let done = 0;
    for (const [i, part] of parts.entries()) {
      io.log(`pushing ${part.name} (${part.size} bytes) to ${remote[i]}`);
      await io.device.push(part.path, remote[i]!, io.signal, (sent) => io.onBytes(done + sent));
      done += part.size;
    }
    if (parts.length === 1) return parseInstallOutput(await io.run(`pm install -r ${remote[0]}`));
    const created = await io.run(`pm install-create -r -S ${total}`);
    const session = parseInstallSession(created);
    if (session === null) return parseFailure(created);
    for (const [i, part] of parts.entries()) {
      const written = parseInstallOutput(await io.run(`pm install-write -S ${part.size} ${session} ${part.name} ${remote[i]}`));
      if (!written.ok) {
        await io.run(`pm install-abandon ${session}`).catch(() => '');
        return written;
      }
    }
    return parseInstallOutput(await io.run(`pm install-commit ${session}`));
  } finally {
    if (!io.signal.aborted) await io.run(`rm -f ${remote.join(' ')}`).catch(() => '');
  }
}

function parseFailure(text: string): InstallResult {
  const parsed = parseInstallOutput(text);
  return parsed.ok ? { ok: false, code: null, reason: text.trim().slice(0, 300) || 'no install session' } : parsed;
}

async function abandon(io: InstallIo, session: number): Promise<void> {
  if (io.signal.aborted) return;
  await io.run(`cmd package install-abandon ${session}`).catch(() => '');
}
