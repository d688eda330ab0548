import { message } from '../../../../shared/messages/catalogue.js';
import type { StepContext } from '../../driver.js';
import { sleep, stepFailed } from '../../step-errors.js';
import { readIdentity, type AndroidDevice } from '../android-device.js';
import { deviceReason, parseBattery, parseSavedNetworks, parseSettingValue, shellQuote, type BatteryState } from '../device-output.js';
import { wifiPassword } from '../wifi-secret.js';
import type { AndroidStepTable } from './android-step.js';
import { runLogged } from './tablet-shell.js';

/** Settings captured by the settings step, for verify: `setting:NAMESPACE/KEY` = value. */
export const SETTING_PREFIX = 'setting:';
/** Networks captured by the wifi step, for verify: `wifi:SSID` = security. */
export const WIFI_PREFIX = 'wifi:';

async function readBattery(ctx: StepContext, device: AndroidDevice): Promise<BatteryState> {
  const text = await runLogged(ctx, device, 'dumpsys battery');
  const battery = parseBattery(text);
  if (!battery) throw stepFailed('android.battery-unreadable', { reason: deviceReason(text) || 'no level' });
  return battery;
}

/** Polls until the battery holds `min` percent. */
async function untilCharged(ctx: StepContext, device: AndroidDevice, min: number, pollMs: number): Promise<BatteryState> {
  for (;;) {
    await sleep(pollMs, ctx.signal);
    const battery = await readBattery(ctx, device);
    if (battery.percent >= min) return battery;
  }
}

/** A setting as `settings` names it. */
function settingArgs(namespace: string, key: string): string {
  return `${namespace} ${shellQuote(key)}`;
}

async function readSetting(ctx: StepContext, device: AndroidDevice, namespace: string, key: string): Promise<string | null> {
  return parseSettingValue(await runLogged(ctx, device, `settings get ${settingArgs(namespace, key)}`));
}

/** Writes a setting unless it has the value already, then reads it back. */
async function putSetting(ctx: StepContext, device: AndroidDevice, namespace: string, key: string, value: string): Promise<void> {
  const name = `${namespace}/${key}`;
  if ((await readSetting(ctx, device, namespace, key)) === value) return;
  const answer = await runLogged(ctx, device, `settings put ${settingArgs(namespace, key)} ${shellQuote(value)}`);
  if (answer.trim()) throw stepFailed('android.setting-failed', { key: name, reason: deviceReason(answer) });
  const actual = await readSetting(ctx, device, namespace, key);
  if (actual !== value) throw stepFailed('android.setting-mismatch', { key: name, expected: value, actual: actual ?? 'null' });
}

async function savedNetworks(ctx: StepContext, device: AndroidDevice, ssid: string): Promise<string[]> {
  const saved = parseSavedNetworks(await runLogged(ctx, device, 'cmd wifi list-networks'));
  if (saved === null) throw stepFailed('android.wifi-unsupported', { ssid }, false);
  return saved;
}

/** identify, wait-for-trust, battery, settings, wifi, rename, reboot, manual-check. */
export const deviceSteps: AndroidStepTable = {
  identify: async (ctx, device) => {
    const identity = await readIdentity({ shell: (command, signal) => runLogged({ ...ctx, signal }, device, command) }, null, ctx.signal);
    const battery = parseBattery(await runLogged(ctx, device, 'dumpsys battery'));
    const id = identity ?? device.identity;
    return {
      captured: {
        serialNumber: id.serial,
        manufacturer: id.manufacturer,
        model: id.model,
        ...(id.osVersion ? { osVersion: id.osVersion } : {}),
        ...(id.sdk !== null ? { sdk: String(id.sdk) } : {}),
        ...(battery ? { battery: String(battery.percent) } : {}),
      },
    };
  },

  // The wait itself happens before every step (the driver waits while the tablet is
  // unauthorized, showing "allow USB debugging"): reaching here means the tablet allows it.
  'wait-for-trust': async () => ({ message: 'USB debugging allowed' }),

  battery: async (ctx, device, deps) => {
    if (ctx.step.type !== 'battery') return {};
    const min = ctx.step.params.minPercent;
    let battery = await readBattery(ctx, device);
    if (battery.percent < min) {
      battery = await ctx.waitFor(
        'battery',
        message('android.battery-low', { percent: battery.percent, min }),
        untilCharged(ctx, device, min, deps.timings.batteryPollMs),
      );
    }
    return { captured: { battery: String(battery.percent) } };
  },

  settings: async (ctx, device) => {
    if (ctx.step.type !== 'settings') return {};
    const captured: Record<string, string> = {};
    for (const { namespace, key, value } of ctx.step.params.values) {
      await putSetting(ctx, device, namespace, key, value);
      captured[`${SETTING_PREFIX}${namespace}/${key}`] = value;
    }
    return { captured };
  },

  wifi: async (ctx, device) => {
    if (ctx.step.type !== 'wifi') return {};
    const { ssid, security, secret } = ctx.step.params;
    if (!device.features().has('cmd')) throw stepFailed('android.wifi-unsupported', { ssid }, false);
    const password = await wifiPassword(ctx, ssid, security, secret);
    const args = `${shellQuote(ssid)} ${security}`;
    // The password goes to the tablet only: the log shows the command without it.
    const answer = await runLogged(
      ctx,
      device,
      `cmd wifi connect-network ${args}${password === null ? '' : ` ${shellQuote(password)}`}`,
      `cmd wifi connect-network ${args}${password === null ? '' : ' ***'}`,
    );
    if (/Unknown command|Can't find service/i.test(answer)) throw stepFailed('android.wifi-unsupported', { ssid }, false);
    if (/Exception|Error|failed|Invalid/i.test(answer)) throw stepFailed('android.wifi-failed', { ssid, reason: deviceReason(answer) });
    if (!(await savedNetworks(ctx, device, ssid)).includes(ssid)) throw stepFailed('android.wifi-not-saved', { ssid });
    return { captured: { [`${WIFI_PREFIX}${ssid}`]: security } };
  },

  // Android 14 shows Settings.Global.DEVICE_NAME as "Device name"; Bluetooth reads
  // Settings.Secure.bluetooth_name when it starts (the next reboot or Bluetooth toggle).
  rename: async (ctx, device) => {
    const name = ctx.deviceName;
    if (!name) return {};
    await putSetting(ctx, device, 'global', 'device_name', name);
    await putSetting(ctx, device, 'secure', 'bluetooth_name', name);
    return { captured: { deviceName: name } };
  },

  reboot: async (ctx, device, deps) => {
    const generation = device.generation();
    // From here the tablet's leaving completes the step (the pipeline waits for its return).
    ctx.expectReattach?.();
    await runLoggedReboot(ctx, device);
    const left = AbortSignal.any([ctx.signal, AbortSignal.timeout(deps.timings.rebootLeaveMs)]);
    try {
      await device.whenLeft(generation, left);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      throw stepFailed('android.reboot-ignored', {});
    }
    // Over the network the tablet comes back on the same transport name: wait here for it.
    await device.whenUsable(ctx, ctx.signal);
    return { message: 'rebooted' };
  },

  'manual-check': async (ctx) => {
    if (ctx.step.type !== 'manual-check') return {};
    const prompt = ctx.step.params.prompt;
    await ctx.confirmByTechnician(typeof prompt === 'string' ? prompt : prompt.en);
    return {};
  },
};

async function runLoggedReboot(ctx: StepContext, device: AndroidDevice): Promise<void> {
  ctx.log('$ reboot');
  await device.reboot(ctx.signal);
}
