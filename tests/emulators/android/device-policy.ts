import type { CommandIo, ShellCommand } from './android-shell.js';
import type { EmulatedTablet } from './emulated-tablet.js';
import { NO_SERVICE_STATUS, exceptionText, frameworkUp } from './framework.js';
import { REAL_SECONDS } from './timings.js';

/**
 * `dpm` (on Android 12+ a script running `cmd device_policy`) and `dumpsys device_policy`: set the
 * device owner, list owners, remove an admin. Failures are printed as the exception text with its
 * stack, and dpm still exits 0 (DEVICES.md: "dpm may exit 0 and still print the exception"), so a
 * driver must read the text.
 */

interface Component {
  pkg: string;
  cls: string;
}

function parseComponent(text: string): Component | null {
  const [pkg, cls] = text.split('/');
  if (!pkg || !cls) return null;
  return { pkg, cls: cls.startsWith('.') ? pkg + cls : cls };
}

/** ComponentName.flattenToShortString(). */
function short(c: Component): string {
  return `${c.pkg}/${c.cls.startsWith(`${c.pkg}.`) ? c.cls.slice(c.pkg.length) : c.cls}`;
}

const SERVICE_FRAMES = [
  'com.android.server.devicepolicy.DevicePolicyManagerServiceShellCommand.runSetDeviceOwner(DevicePolicyManagerServiceShellCommand.java:264)',
  'com.android.server.devicepolicy.DevicePolicyManagerServiceShellCommand.onCommand(DevicePolicyManagerServiceShellCommand.java:87)',
  'com.android.modules.utils.BasicShellCommandHandler.exec(BasicShellCommandHandler.java:97)',
  'android.os.ShellCommand.exec(ShellCommand.java:38)',
  'com.android.server.devicepolicy.DevicePolicyManagerService.onShellCommand(DevicePolicyManagerService.java:11275)',
  'android.os.Binder.shellCommand(Binder.java:1230)',
  'android.os.Binder.onTransact(Binder.java:1043)',
];

/** Why the device refuses a device owner now (DevicePolicyManagerService.enforceCanSetDeviceOwnerLocked), or null. */
function ownerRefusal(tablet: EmulatedTablet, c: Component): string | null {
  if (tablet.deviceOwner) {
    const current = parseComponent(tablet.deviceOwner);
    return `Trying to set the device owner (${short(c)}), but device owner (${current ? short(current) : tablet.deviceOwner}) is already set.`;
  }
  if (tablet.users > 1) return 'Not allowed to set the device owner because there are already several users on the device.';
  if (tablet.accounts.length) return 'Not allowed to set the device owner because there are already some accounts on the device.';
  return null;
}

async function setDeviceOwner(args: string[], io: CommandIo, tablet: EmulatedTablet): Promise<number> {
  const text = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--user' && args[i - 1] !== '--name').at(-1);
  const c = text ? parseComponent(text) : null;
  if (!c) {
    io.err(`Error: Argument expected after "set-device-owner"\n`);
    return 0;
  }
  await tablet.sleep(REAL_SECONDS.setDeviceOwner);
  if (!tablet.packages.has(c.pkg)) {
    io.err(
      exceptionText('set-device-owner', `java.lang.IllegalArgumentException: Unknown admin: ComponentInfo{${c.pkg}/${c.cls}}`, [
        'com.android.server.devicepolicy.DevicePolicyManagerService.findAdmin(DevicePolicyManagerService.java:3583)',
        'com.android.server.devicepolicy.DevicePolicyManagerService.setActiveAdmin(DevicePolicyManagerService.java:3888)',
        ...SERVICE_FRAMES,
      ]),
    );
    return 0;
  }
  const refusal = ownerRefusal(tablet, c);
  if (refusal) {
    io.err(
      exceptionText('set-device-owner', `java.lang.IllegalStateException: ${refusal}`, [
        'com.android.server.devicepolicy.DevicePolicyManagerService.enforceCanSetDeviceOwnerLocked(DevicePolicyManagerService.java:10842)',
        'com.android.server.devicepolicy.DevicePolicyManagerService.setDeviceOwner(DevicePolicyManagerService.java:9488)',
        ...SERVICE_FRAMES,
      ]),
    );
    return 0;
  }
  tablet.deviceOwner = short(c);
  io.out(`Success: Device owner set to package ${c.pkg}\nActive admin set to component {${c.pkg}/${c.cls}}\n`);
  return 0;
}

export const dpmCommand: ShellCommand = async (args, io, tablet) => {
  if (!frameworkUp(tablet, io, 'device_policy')) return NO_SERVICE_STATUS;
  const [sub, ...rest] = args;
  if (sub === 'set-device-owner') return setDeviceOwner(rest, io, tablet);
  if (sub === 'list-owners') {
    io.out(tablet.deviceOwner ? `1 owner:\nUser  0: admin=${tablet.deviceOwner},DeviceOwner,Affiliated\n` : 'no owners\n');
    return 0;
  }
  if (sub === 'remove-active-admin') {
    const c = parseComponent(rest.at(-1) ?? '');
    io.err(
      exceptionText(
        'remove-active-admin',
        `java.lang.SecurityException: Attempt to remove non-test admin ComponentInfo{${c?.pkg ?? ''}/${c?.cls ?? ''}} 0`,
        SERVICE_FRAMES.slice(1),
      ),
    );
    return 0;
  }
  io.err(`Error: unknown command '${sub ?? ''}'\n`);
  return 0;
};

/** `dumpsys device_policy`, the part naming the device owner. */
export function dumpDevicePolicy(io: CommandIo, tablet: EmulatedTablet): number {
  const owner = tablet.deviceOwner ? parseComponent(tablet.deviceOwner) : null;
  io.out(
    'Current Device Policy Manager state:\n  Immutable state:\n    mHasFeature=true\n    mIsWatch=false\n    mIsAutomotive=false\n    mHasTelephonyFeature=false\n',
  );
  if (owner)
    io.out(
      `  Device Owner: \n    admin=ComponentInfo{${owner.pkg}/${owner.cls}}\n    name=\n    package=${owner.pkg}\n    isOrganizationOwnedDevice=true\n    User ID: 0\n\n`,
    );
  io.out(
    `  Enabled Device Admins (User 0, provisioningState: ${owner ? 3 : 0}):\n${owner ? `    ${short(owner)}:\n      uid=10180\n      testOnlyAdmin=false\n` : ''}`,
  );
  return 0;
}
