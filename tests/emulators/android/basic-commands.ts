import type { ShellCommand } from './android-shell.js';
import type { EmulatedTablet } from './emulated-tablet.js';

/** The shell's everyday commands (toybox): echo, true/false, id, sleep, grep, head, wc, getprop, setprop. */

/** System properties of the tablet now (sys.boot_completed is unset until boot completes, as on a real device). */
export function systemProperties(tablet: EmulatedTablet): Map<string, string> {
  const s = tablet.spec;
  const fingerprint = `${s.brand}/${s.productName}/${s.device}:${s.androidRelease}/${s.buildId}/X200XXS3CXC1:user/release-keys`;
  const props: [string, string][] = [
    ['ro.serialno', s.serial],
    ['ro.boot.serialno', s.serial],
    ['ro.product.manufacturer', s.manufacturer],
    ['ro.product.brand', s.brand],
    ['ro.product.model', s.model],
    ['ro.product.device', s.device],
    ['ro.product.name', s.productName],
    ['ro.build.version.release', s.androidRelease],
    ['ro.build.version.sdk', String(s.sdk)],
    ['ro.build.version.security_patch', s.securityPatch],
    ['ro.build.id', s.buildId],
    ['ro.build.fingerprint', fingerprint],
    ['ro.build.type', 'user'],
    ['ro.build.tags', 'release-keys'],
    ['ro.build.characteristics', 'tablet'],
    ['ro.debuggable', '0'],
    ['ro.secure', '1'],
    ['ro.adb.secure', s.usbDebugging === 'prompt' ? '1' : '0'],
    ['ro.product.cpu.abi', 'arm64-v8a'],
    ['ro.product.cpu.abilist', 'arm64-v8a,armeabi-v7a,armeabi'],
    ['persist.sys.locale', 'de-DE'],
    ['persist.sys.timezone', 'Europe/Berlin'],
    ['init.svc.adbd', 'running'],
    ['sys.usb.state', 'mtp,adb'],
  ];
  if (tablet.bootCompleted) props.push(['sys.boot_completed', '1'], ['dev.bootcomplete', '1']);
  return new Map(props.sort(([a], [b]) => a.localeCompare(b)));
}

const getprop: ShellCommand = async (args, io, tablet) => {
  const props = systemProperties(tablet);
  if (!args.length) {
    for (const [k, v] of props) io.out(`[${k}]: [${v}]\n`);
    return 0;
  }
  io.out(`${props.get(args[0] as string) ?? args[1] ?? ''}\n`);
  return 0;
};

const setprop: ShellCommand = async (args, io) => {
  io.err(`Failed to set property '${args[0] ?? ''}' to '${args[1] ?? ''}'.\nSee dmesg for error reason.\n`);
  return 1;
};

const echo: ShellCommand = async (args, io) => {
  const noNewline = args[0] === '-n';
  io.out(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
  return 0;
};

const id: ShellCommand = async (_args, io) => {
  io.out(
    'uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) context=u:r:shell:s0\n',
  );
  return 0;
};

const sleep: ShellCommand = async (args, _io, tablet) => {
  await tablet.sleep(Number(args[0] ?? 0) || 0);
  return 0;
};

const grep: ShellCommand = async (args, io) => {
  const flags = new Set(args.filter((a) => a.startsWith('-') && a.length > 1).flatMap((a) => a.slice(1).split('')));
  const [pattern] = args.filter((a) => !a.startsWith('-') || a.length === 1);
  if (pattern === undefined) {
    io.err('usage: grep [-EFivq] PATTERN\n');
    return 2;
  }
  const re = new RegExp(flags.has('F') ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern, flags.has('i') ? 'i' : '');
  const lines = (await io.stdin.readAll()).toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const hits = lines.filter((l) => re.test(l) !== flags.has('v'));
  if (!flags.has('q')) for (const l of hits) io.out(`${l}\n`);
  return hits.length ? 0 : 1;
};

const head: ShellCommand = async (args, io) => {
  const n = Number(args.find((a) => /^-?\d+$/.test(a))?.replace('-', '') ?? (args[args.indexOf('-n') + 1] || 10));
  const lines = (await io.stdin.readAll()).toString('utf8').split('\n');
  io.out(lines.slice(0, n).join('\n') + (lines.length > n ? '\n' : ''));
  return 0;
};

const wc: ShellCommand = async (_args, io) => {
  const text = (await io.stdin.readAll()).toString('utf8');
  io.out(`${text.split('\n').length - 1}\n`);
  return 0;
};

export const BASIC_COMMANDS: Readonly<Record<string, ShellCommand>> = {
  getprop,
  setprop,
  echo,
  true: async () => 0,
  false: async () => 1,
  id,
  whoami: async (_a, io) => (io.out('shell\n'), 0),
  sleep,
  grep,
  head,
  wc,
};
