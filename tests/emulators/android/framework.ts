import type { CommandIo } from './android-shell.js';
import type { EmulatedTablet } from './emulated-tablet.js';

/** cmd's exit status when the binder service is missing (cmds/cmd: "Can't find service"). */
export const NO_SERVICE_STATUS = 20;

/**
 * Framework services (package, device_policy, settings, wifi, battery) answer only once the system
 * server runs; the emulator takes that to be when sys.boot_completed is set (on a real device they
 * come up a little earlier). Before that `cmd` prints "Can't find service".
 */
export function frameworkUp(tablet: EmulatedTablet, io: CommandIo, service: string): boolean {
  if (tablet.bootCompleted) return true;
  io.err(`cmd: Can't find service: ${service}\n`);
  return false;
}

/** A shell-command exception as ShellCommand.exec prints it on Android 12 and later. */
export function exceptionText(command: string, exception: string, frames: string[]): string {
  return `Exception occurred while executing '${command}':\n${exception}\n${frames.map((f) => `\tat ${f}\n`).join('')}`;
}
