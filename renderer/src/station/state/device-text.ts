import type { TFunction } from 'i18next';
import type { DeviceView, Label } from '../../../../shared/contract/station-api.js';
import type { Language } from '../../common/i18n/index.js';
import { messageText, type WireMessageLike } from '../../common/i18n/messages.js';
import { qrProvisioningOf } from './qr-provisioning.js';

/** A run's state; `blocked`: plugged in, but its run cannot start (nobody signed in, no batch, no blueprint); `idle`: no run. */
export type TileState = NonNullable<DeviceView['state']> | 'blocked' | 'idle';

export function tileState(device: DeviceView): TileState {
  return device.state ?? (isBlocked(device) ? 'blocked' : 'idle');
}

/** Plugged in, no run, and a reason why none could start: the technician has to act (sign in, scan an order). */
export function isBlocked(device: Pick<DeviceView, 'runId' | 'error' | 'present'>): boolean {
  return device.runId === null && device.error !== null && device.present;
}

export function labelText(label: Label | null, language: Language): string {
  return label ? label[language] || label.en : '';
}

/**
 * The error in plain words: the core's `{code, params}` in the current language. Only a code (or a
 * missing parameter) from an older station falls back to the words the station sent.
 */
export function errorText(device: Pick<DeviceView, 'error' | 'stepLabel'>, t: TFunction, language: Language): string {
  const error = device.error;
  if (!error) return '';
  const extra = { step: labelText(device.stepLabel, language) };
  return (
    (error.text ? messageText(t, language, error.text, extra) : null) ??
    messageText(t, language, error, extra) ??
    (error.message || messageText(t, language, { code: 'run.failed' }) || '')
  );
}

/**
 * A step event's message in the current language: its catalogue message with the step's label in
 * place of the step id the core puts in `step`; an old or blueprint-written message as stored.
 */
export function eventMessageText(
  e: { message: string | null; text?: WireMessageLike | null | undefined },
  label: Label | null,
  t: TFunction,
  language: Language,
): string {
  if (!e.text) return e.message ?? '';
  const params = label && e.text.params && 'step' in e.text.params ? { ...e.text.params, step: labelText(label, language) } : e.text.params;
  return messageText(t, language, { code: e.text.code, params }) ?? e.message ?? '';
}

/** What the technician should do now, one line. */
export function instructionText(device: DeviceView, t: TFunction, language: Language, focused = false): string {
  const step = labelText(device.stepLabel, language);
  // Waits nobody has to act on (a restart, a free lane) say what is going on in the catalogue's words.
  const reason = device.waiting?.reason;
  if ((reason === 'restart' || reason === 'lane') && device.state !== 'failed' && device.state !== 'done') {
    const text = messageText(t, language, device.waiting?.text ?? { code: `wait.${reason}` });
    if (text) return text;
  }
  switch (device.state) {
    case 'waiting': {
      const reason = device.waiting?.reason;
      // The driver's own instruction names the slot and the level ("Tippe auf dem iPad in Steckplatz A7 auf „Vertrauen“").
      const driverText = reason === 'technician' ? null : device.waiting?.text ? messageText(t, language, device.waiting.text) : null;
      if (driverText) return driverText;
      // The QR wait's own text carries the payload (with the Wi-Fi password): the tile says what to do instead.
      const qr = qrProvisioningOf(device);
      if (qr) return t(focused ? 'qr.instructionFocused' : 'qr.instruction', { dpc: qr.dpc });
      if (reason === 'trust')
        return t(device.platform === 'ios' ? 'instruction.trust_ios' : device.platform === 'android' ? 'instruction.trust_android' : 'instruction.trust_other');
      if (reason === 'battery') return t('instruction.battery');
      return t(focused ? 'instruction.technicianFocused' : 'instruction.technician', { step });
    }
    case 'failed':
      return errorText(device, t, language);
    case 'queued':
    case 'running':
    case 'interrupted':
    case 'done':
    case 'cancelled':
      return t(`instruction.${device.state}`);
    default:
      return device.error ? errorText(device, t, language) : t('instruction.noRun');
  }
}

export function waitsForTechnician(device: DeviceView | undefined): boolean {
  return device?.state === 'waiting' && device.waiting?.reason === 'technician' && device.runId !== null;
}

/** An upload's line on the tile, "42 % · 630 MB of 1,500 MB · 35 MB/s"; empty for a step that reports no bytes. */
export function transferText(device: Pick<DeviceView, 'stepProgress'>, t: TFunction, language: Language): string {
  const p = device.stepProgress;
  if (!p || p.bytes === undefined || p.total === undefined) return '';
  const mb = new Intl.NumberFormat(language, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 0 });
  const size = (bytes: number) => mb.format(bytes / 1_000_000);
  return (
    messageText(t, language, {
      code: 'progress.transfer',
      params: { percent: Math.round(p.percent), done: size(p.bytes), total: size(p.total), rate: size(p.bytesPerSecond ?? 0) },
    }) ?? ''
  );
}

/**
 * A device name or serial split so its distinguishing end always shows: "Grundschule Nord" +
 * "-007", "DMPC9ZTP" + "RJU0". The head may be cut with an ellipsis, the tail never.
 */
export function nameParts(name: string): { head: string; tail: string } {
  const numbered = /^(.*\S)([-_ .#/][\p{L}\p{N}]{1,8})$/u.exec(name);
  if (numbered) return { head: numbered[1]!, tail: numbered[2]! };
  if (name.length > 6) return { head: name.slice(0, -4), tail: name.slice(-4) };
  return { head: name, tail: '' };
}
