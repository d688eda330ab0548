import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import i18next from 'i18next';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { instructionText, transferText } from '../../renderer/src/station/state/device-text.js';
import { i18nResources } from '../../renderer/src/common/i18n/index.js';

const I18N = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'renderer', 'src', 'common', 'i18n');

async function translator(lng: 'de' | 'en') {
  const [de, en] = ['de', 'en'].map((l) => JSON.parse(fs.readFileSync(path.join(I18N, `${l}.json`), 'utf8')) as Record<string, unknown>);
  const i18n = i18next.createInstance();
  await i18n.init({ lng, resources: i18nResources({ de: de!, en: en! }), interpolation: { escapeValue: false } });
  return i18n.t;
}

function device(over: Partial<DeviceView>): DeviceView {
  return {
    serial: 'DMP1',
    family: 'simulated',
    model: 'iPad',
    slot: 'A1',
    runId: 'r1',
    state: 'running',
    step: 'erase',
    progress: 0.3,
    attempts: 1,
    error: null,
    platform: 'ios',
    present: true,
    name: null,
    osVersion: '18.1',
    stepLabel: { de: 'Löschen', en: 'Erase' },
    stepIndex: 1,
    stepCount: 4,
    blueprint: 'bp',
    startedAt: null,
    finishedAt: null,
    waiting: null,
    portPath: '1-4.2',
    ...over,
  };
}

describe('what the tile says while nobody has to act', () => {
  it('a run waiting for a lane shows its place in the queue, in the UI language', async () => {
    const lane = device({
      state: 'queued',
      waiting: { reason: 'lane', message: 'Waiting for a free lane (3 ahead)', text: { code: 'wait.lane', params: { ahead: 3 } } },
    });
    expect(instructionText(lane, await translator('de'), 'de')).toBe('Wartet auf freie Leitung (3 vor dir)');
    expect(instructionText(lane, await translator('en'), 'en')).toBe('Waiting for a free lane (3 ahead)');
  });

  it('a restarting device says to leave it plugged in, not that it was interrupted', async () => {
    const restarting = device({ waiting: { reason: 'restart', message: 'Restarting – leave it plugged in' } });
    expect(instructionText(restarting, await translator('de'), 'de')).toBe('Startet neu – angesteckt lassen');
  });

  it('an upload shows percent, megabytes and speed; a step without bytes shows nothing', async () => {
    const t = await translator('en');
    const uploading = device({ stepProgress: { percent: 42, bytes: 630_000_000, total: 1_500_000_000, bytesPerSecond: 35_000_000 } });
    expect(transferText(uploading, t, 'en')).toBe('42 % · 630 MB of 1,500 MB · 35 MB/s');
    expect(transferText(device({ stepProgress: { percent: 42 } }), t, 'en')).toBe('');
    expect(transferText(device({}), t, 'en')).toBe('');
  });
});

describe('what the tile says while the technician has to act at the device', () => {
  it('a battery wait names the level the driver asked for, in the UI language', async () => {
    const low = device({
      state: 'waiting',
      waiting: { reason: 'battery', message: 'Charge to 45 %', text: { code: 'wait.battery', params: { percent: 45 } } },
    });
    expect(instructionText(low, await translator('de'), 'de')).toContain('45 %');
    expect(instructionText(low, await translator('en'), 'en')).toContain('45');
  });

  it('a trust wait without a driver text falls back to the generic instruction', async () => {
    const trust = device({ state: 'waiting', waiting: { reason: 'trust', message: 'Tap Trust' } });
    const t = await translator('de');
    expect(instructionText(trust, t, 'de')).toBe(t('instruction.trust_ios'));
  });
});
