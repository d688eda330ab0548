import type { CommandIo, ShellCommand } from './android-shell.js';
import { ApkParseError, readApkFacts, type ApkFacts } from './apk-facts.js';
import type { EmulatedTablet, InstalledPackage } from './emulated-tablet.js';
import { NO_SERVICE_STATUS, exceptionText, frameworkUp } from './framework.js';
import { REAL_SECONDS } from './timings.js';

/**
 * `pm` / `cmd package` of Android 14 (pm is a script running `cmd package`): list packages, path,
 * dump, install (from a path or streamed with -S), the session commands adb uses for split APKs
 * (install-create/-write/-commit/-abandon), uninstall, list users. Results are the texts
 * PackageManager prints: "Success", "Failure [INSTALL_FAILED_…: detail]".
 */

const VALUE_FLAGS = new Set([
  '-i',
  '--user',
  '-S',
  '--install-location',
  '-p',
  '--abi',
  '--originating-uri',
  '--referrer',
  '--pkg',
  '--force-uuid',
  '--install-reason',
]);

interface InstallOptions {
  allowDowngrade: boolean;
  size: number | null;
  paths: string[];
}

function installOptions(args: string[]): InstallOptions {
  const o: InstallOptions = { allowDowngrade: false, size: null, paths: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-d') o.allowDowngrade = true;
    else if (a === '-S') o.size = Number(args[i + 1]);
    if (VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith('-')) o.paths.push(a);
  }
  return o;
}

/**
 * Reads an upload of `size` bytes from standard input; fires the unplug-during-install fault when
 * the share is reached. Null when the input ends early (the host went away).
 */
export async function readUpload(tablet: EmulatedTablet, io: CommandIo, size: number): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let received = 0;
  while (received < size) {
    const chunk = await io.stdin.readSome();
    if (!chunk) return null;
    parts.push(chunk);
    received += chunk.length;
    const share = tablet.faults.unplugDuringInstallAt;
    if (share !== undefined && received >= share * size) {
      delete tablet.faults.unplugDuringInstallAt;
      tablet.link?.unplug();
      return null;
    }
  }
  const all = Buffer.concat(parts);
  return all.subarray(0, size);
}

/** Installs one app from its base APK and splits; the result line PackageManager prints. */
async function commit(tablet: EmulatedTablet, apks: { name: string; data: Buffer }[], allowDowngrade: boolean): Promise<string> {
  const total = apks.reduce((n, a) => n + a.data.length, 0);
  if (tablet.storageFree() < total * 2) return 'Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]';
  const facts: (ApkFacts & { name: string })[] = [];
  for (const apk of apks) {
    try {
      facts.push({ ...readApkFacts(apk.data), name: apk.name });
    } catch (err) {
      const detail = err instanceof ApkParseError ? err.message : String(err);
      return `Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed to parse /data/app/vmdl${tablet.newSessionId()}.tmp/${apk.name}: ${detail}]`;
    }
  }
  const bases = facts.filter((f) => f.split === null);
  if (bases.length === 0) return 'Failure [INSTALL_FAILED_INVALID_APK: Full install must include a base package]';
  if (bases.length > 1) return 'Failure [INSTALL_FAILED_INVALID_APK: Split null was defined multiple times]';
  const base = bases[0] as ApkFacts & { name: string };
  for (const f of facts) {
    if (f.packageName !== base.packageName)
      return `Failure [INSTALL_FAILED_INVALID_APK: Inconsistent package ${f.packageName} in ${f.name}; expected ${base.packageName}]`;
    if (f.versionCode !== base.versionCode)
      return `Failure [INSTALL_FAILED_INVALID_APK: Inconsistent version ${f.versionCode} in ${f.name}; expected ${base.versionCode}]`;
  }
  if (base.minSdk > tablet.spec.sdk)
    return `Failure [INSTALL_FAILED_OLDER_SDK: Requires newer sdk version #${base.minSdk} (current version is #${tablet.spec.sdk})]`;
  const existing = tablet.packages.get(base.packageName);
  if (existing && base.versionCode < existing.versionCode && !allowDowngrade) {
    return `Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code ${base.versionCode} is older than current ${existing.versionCode}]`;
  }
  await tablet.sleep(REAL_SECONDS.installBase + (REAL_SECONDS.installPerMiB * total) / (1024 * 1024));
  const now = Date.now();
  const suffix = Buffer.from(base.packageName).toString('base64url').slice(0, 22);
  tablet.packages.set(base.packageName, {
    packageName: base.packageName,
    versionCode: base.versionCode,
    versionName: base.versionName,
    minSdk: base.minSdk,
    system: false,
    splits: facts.filter((f) => f.split !== null).map((f) => f.split as string),
    codePath: `/data/app/~~${suffix}==/${base.packageName}-${suffix}==`,
    firstInstallTime: existing?.firstInstallTime ?? now,
    lastUpdateTime: now,
  });
  return 'Success';
}

async function install(args: string[], io: CommandIo, tablet: EmulatedTablet): Promise<number> {
  const o = installOptions(args);
  const apks: { name: string; data: Buffer }[] = [];
  if (o.paths.length) {
    for (const p of o.paths) {
      const file = tablet.fs.read(p);
      if (typeof file === 'string') {
        io.err(
          exceptionText('install', `java.lang.IllegalArgumentException: Error: Can't open file: ${p}`, [
            'com.android.server.pm.PackageManagerShellCommand.setParamsSize(PackageManagerShellCommand.java:613)',
          ]),
        );
        return 255;
      }
      apks.push({ name: p.split('/').pop() as string, data: file.data });
    }
  } else if (o.size !== null && Number.isFinite(o.size)) {
    const data = await readUpload(tablet, io, o.size);
    if (!data) return 1;
    apks.push({ name: 'base.apk', data });
  } else {
    io.err('Error: must either specify a package size or an APK file\n');
    return 1;
  }
  const result = await commit(tablet, apks, o.allowDowngrade);
  io.out(`${result}\n`);
  return result === 'Success' ? 0 : 1;
}

async function session(sub: string, args: string[], io: CommandIo, tablet: EmulatedTablet): Promise<number> {
  if (sub === 'install-create') {
    const id = tablet.newSessionId();
    tablet.installSessions.set(id, { id, allowDowngrade: installOptions(args).allowDowngrade, files: new Map() });
    io.out(`Success: created install session [${id}]\n`);
    return 0;
  }
  const o = installOptions(args);
  const [idText, name, source] = o.paths;
  const s = tablet.installSessions.get(Number(idText));
  if (!s) {
    io.err(
      exceptionText(sub, `java.lang.SecurityException: Caller has no access to session ${idText ?? ''}`, [
        'com.android.server.pm.PackageInstallerService.openSessionInternal(PackageInstallerService.java:1022)',
      ]),
    );
    return 255;
  }
  if (sub === 'install-write') {
    let data: Buffer | null;
    if (source && source !== '-') {
      const file = tablet.fs.read(source);
      data = typeof file === 'string' ? null : file.data;
    } else data = await readUpload(tablet, io, o.size ?? 0);
    if (!data) return 1;
    s.files.set(name ?? `split${s.files.size}.apk`, data);
    io.out(`Success: streamed ${data.length} bytes\n`);
    return 0;
  }
  tablet.installSessions.delete(s.id);
  if (sub === 'install-abandon') {
    io.out('Success\n');
    return 0;
  }
  const result = await commit(
    tablet,
    [...s.files].map(([n, data]) => ({ name: n, data })),
    s.allowDowngrade,
  );
  io.out(`${result}\n`);
  return result === 'Success' ? 0 : 1;
}

function listPackages(args: string[], io: CommandIo, tablet: EmulatedTablet): number {
  const flags = new Set(args.filter((a) => a.startsWith('-')));
  const filter = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '--user').at(0) ?? '';
  const list = [...tablet.packages.values()]
    .filter((p) => p.packageName.includes(filter))
    .filter((p) => (flags.has('-3') ? !p.system : flags.has('-s') ? p.system : true))
    .sort((a, b) => a.packageName.localeCompare(b.packageName));
  for (const p of list) {
    const where = flags.has('-f') ? `${p.codePath}/base.apk=` : '';
    io.out(`package:${where}${p.packageName}${flags.has('--show-versioncode') ? ` versionCode:${p.versionCode}` : ''}\n`);
  }
  return 0;
}

/** `dumpsys package PKG` / `pm dump PKG`, the lines a driver reads (versionCode, versionName). */
export function dumpPackage(pkgName: string, io: CommandIo, tablet: EmulatedTablet): number {
  const p: InstalledPackage | undefined = tablet.packages.get(pkgName);
  if (!p) {
    io.out(`Dexopt state:\n  Unable to find package: ${pkgName}\n`);
    return 0;
  }
  const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
  io.out(
    `Packages:\n  Package [${p.packageName}] (7c1e2a4):\n    userId=${p.system ? 1000 : 10180}\n    pkg=Package{7c1e2a4 ${p.packageName}}\n` +
      `    codePath=${p.codePath}\n    versionCode=${p.versionCode} minSdk=${p.minSdk} targetSdk=34\n    versionName=${p.versionName}\n` +
      `    splits=[${['base', ...p.splits].join(', ')}]\n    flags=[ ${p.system ? 'SYSTEM ' : ''}HAS_CODE ALLOW_CLEAR_USER_DATA ]\n` +
      `    firstInstallTime=${time(p.firstInstallTime)}\n    lastUpdateTime=${time(p.lastUpdateTime)}\n` +
      `    User 0: ceDataInode=0 installed=true hidden=false suspended=false stopped=false notLaunched=false enabled=0 instant=false virtual=false\n`,
  );
  return 0;
}

export const packageCommand: ShellCommand = async (args, io, tablet) => {
  if (!frameworkUp(tablet, io, 'package')) return NO_SERVICE_STATUS;
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      if (rest[0] === 'packages') return listPackages(rest.slice(1), io, tablet);
      if (rest[0] === 'users') {
        io.out(
          `Users:\n${Array.from({ length: tablet.users }, (_, i) => `\tUserInfo{${i === 0 ? 0 : 10 + i}:${i === 0 ? 'Owner' : `User ${i}`}:c13} running\n`).join('')}`,
        );
        return 0;
      }
      break;
    case 'path': {
      const p = tablet.packages.get(rest[0] ?? '');
      if (!p) return 1;
      io.out([`${p.codePath}/base.apk`, ...p.splits.map((s) => `${p.codePath}/split_${s}.apk`)].map((l) => `package:${l}\n`).join(''));
      return 0;
    }
    case 'dump':
      await tablet.sleep(REAL_SECONDS.packageQuery);
      return dumpPackage(rest[0] ?? '', io, tablet);
    case 'install':
      return install(rest, io, tablet);
    case 'install-create':
    case 'install-write':
    case 'install-commit':
    case 'install-abandon':
      return session(sub, rest, io, tablet);
    case 'uninstall': {
      const name = rest.filter((a, i) => !a.startsWith('-') && rest[i - 1] !== '--user').at(0) ?? '';
      const p = tablet.packages.get(name);
      if (p && tablet.deviceOwner?.split('/')[0] === name) {
        io.out('Failure [DELETE_FAILED_DEVICE_POLICY_MANAGER]\n');
        return 1;
      }
      if (!p || p.system) {
        io.out('Failure [DELETE_FAILED_INTERNAL_ERROR]\n');
        return 1;
      }
      await tablet.sleep(REAL_SECONDS.uninstall);
      tablet.packages.delete(name);
      io.out('Success\n');
      return 0;
    }
  }
  io.err(`Unknown command: ${sub ?? ''}\n`);
  return 255;
};
