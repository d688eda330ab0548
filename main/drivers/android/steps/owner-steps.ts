import { message, type Message } from '../../../../shared/messages/catalogue.js';
import type { StepContext } from '../../driver.js';
import { stepFailed } from '../../step-errors.js';
import type { AndroidDevice } from '../android-device.js';
import { installedVersion } from '../apk-install.js';
import { normalizeComponent, parseDeviceOwner, parseSavedNetworks, parseSetDeviceOwner, parseSettingValue, shellQuote } from '../device-output.js';
import type { AndroidStepTable } from './android-step.js';
import { SETTING_PREFIX, WIFI_PREFIX } from './device-steps.js';
import { APP_PREFIX } from './install-steps.js';
import { runLogged } from './tablet-shell.js';

/** The device owner a set-device-owner step set, for verify. */
const OWNER_KEY = 'deviceOwner';

/** The tablet's device owner: `dpm list-owners` (Android 12+), else `dumpsys device_policy`; null: none. */
async function readOwner(ctx: StepContext, device: AndroidDevice): Promise<string | null> {
  const listed = parseDeviceOwner(await runLogged(ctx, device, 'dpm list-owners'));
  if (listed !== undefined) return listed;
  return parseDeviceOwner(await runLogged(ctx, device, 'dumpsys device_policy')) ?? null;
}

/** Several problems as one parameter ("a; b; c"). */
function problemList(items: readonly Message[]): Message {
  return items.slice(0, -1).reduceRight<Message>((rest, first) => message('android.verify-list', { first, rest }), items[items.length - 1]!);
}

const VERIFY_CHECKS = ['apps', 'packages', 'device-owner', 'settings', 'wifi', 'name'] as const;

/** What one verify check finds wrong on the tablet, judged against what the run's earlier steps captured. */
async function verifyCheck(ctx: StepContext, device: AndroidDevice, check: (typeof VERIFY_CHECKS)[number]): Promise<Message[]> {
  const run = (command: string) => runLogged(ctx, device, command);
  const captured = Object.entries(ctx.captured);
  const problems: Message[] = [];
  switch (check) {
    case 'apps':
    case 'packages':
      for (const [key, expected] of captured.filter(([k]) => k.startsWith(APP_PREFIX))) {
        const app = key.slice(APP_PREFIX.length);
        const installed = await installedVersion(run, app);
        if (!installed || String(installed.versionCode) !== expected) {
          problems.push(message('android.verify-app', { app, expected, actual: installed ? String(installed.versionCode) : message('android.missing') }));
        }
      }
      break;
    case 'device-owner': {
      const expected = ctx.captured[OWNER_KEY];
      const actual = await readOwner(ctx, device);
      if (expected ? actual !== normalizeComponent(expected) : actual === null) {
        problems.push(message('android.verify-owner', { expected: expected ?? '*', actual: actual ?? message('android.missing') }));
      }
      break;
    }
    case 'settings':
      for (const [key, expected] of captured.filter(([k]) => k.startsWith(SETTING_PREFIX))) {
        const [namespace, name] = key.slice(SETTING_PREFIX.length).split('/') as [string, string];
        const actual = parseSettingValue(await run(`settings get ${namespace} ${shellQuote(name)}`));
        if (actual !== expected) problems.push(message('android.verify-setting', { key: `${namespace}/${name}`, expected, actual: actual ?? 'null' }));
      }
      break;
    case 'wifi': {
      const wanted = captured.filter(([k]) => k.startsWith(WIFI_PREFIX)).map(([k]) => k.slice(WIFI_PREFIX.length));
      if (wanted.length === 0) break;
      const saved = parseSavedNetworks(await run('cmd wifi list-networks')) ?? [];
      for (const ssid of wanted) if (!saved.includes(ssid)) problems.push(message('android.verify-wifi', { ssid }));
      break;
    }
    case 'name': {
      const expected = ctx.captured.deviceName;
      if (!expected) break;
      const actual = parseSettingValue(await run('settings get global device_name'));
      if (actual !== expected) problems.push(message('android.verify-name', { expected, actual: actual ?? 'null' }));
      break;
    }
  }
  return problems;
}

/** set-device-owner and verify. */
export const ownerSteps: AndroidStepTable = {
  'set-device-owner': async (ctx, device) => {
    if (ctx.step.type !== 'set-device-owner') return {};
    const component = ctx.step.params.component;
    const answer = await runLogged(ctx, device, `dpm set-device-owner ${shellQuote(component)}`);
    const result = parseSetDeviceOwner(answer, component);
    const done = { captured: { [OWNER_KEY]: normalizeComponent(component) } };
    if (result.kind === 'set' || result.kind === 'already-owner') return done;
    // Some Android versions refuse a second set-device-owner with another text: the owner decides.
    if ((await readOwner(ctx, device)) === normalizeComponent(component)) return done;
    switch (result.kind) {
      case 'accounts':
        throw stepFailed('android.owner-accounts', { reason: result.reason }, false);
      case 'users':
        throw stepFailed('android.owner-users', { reason: result.reason }, false);
      case 'provisioned':
        throw stepFailed('android.owner-provisioned', { reason: result.reason }, false);
      case 'other-owner':
        throw stepFailed('android.owner-other', { current: result.current, reason: result.reason }, false);
      case 'unknown-admin':
        throw stepFailed('android.owner-unknown-admin', { dpc: component.split('/')[0] ?? component, component, reason: result.reason }, false);
      default:
        throw stepFailed('android.owner-failed', { reason: result.reason });
    }
  },

  verify: async (ctx, device) => {
    if (ctx.step.type !== 'verify') return {};
    const checks = ctx.step.params.checks;
    const unknown = checks.find((c) => !(VERIFY_CHECKS as readonly string[]).includes(c));
    if (unknown !== undefined) throw stepFailed('android.verify-unknown-check', { check: unknown }, false);
    const problems: Message[] = [];
    for (const check of checks as (typeof VERIFY_CHECKS)[number][]) problems.push(...(await verifyCheck(ctx, device, check)));
    if (problems.length > 0) throw stepFailed('android.verify-failed', { problems: problemList(problems) });
    return { message: `verified ${checks.join(', ') || 'nothing'}` };
  },
};
