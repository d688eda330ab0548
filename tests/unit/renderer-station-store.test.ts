import { describe, expect, it, vi } from 'vitest';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { compareSlots, groupByHub } from '../../renderer/src/station/state/slots.js';
import { emptySnapshot, fakeStation } from '../fixtures/fake-station-client.js';

function device(serial: string, slot: string | null, extra: Partial<DeviceView> = {}): DeviceView {
  return {
    serial,
    family: 'simulated',
    model: 'iPad (10th generation)',
    slot,
    runId: `run-${serial}`,
    state: 'running',
    step: 'erase',
    progress: 0.2,
    attempts: 1,
    error: null,
    platform: 'ios',
    present: true,
    name: null,
    osVersion: '18.1',
    stepLabel: { de: 'Löschen', en: 'Erase' },
    stepIndex: 2,
    stepCount: 12,
    blueprint: 'school-ipad',
    startedAt: '2026-11-22T10:00:00.000Z',
    finishedAt: null,
    waiting: null,
    portPath: null,
    ...extra,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(devices: DeviceView[]) {
  return fakeStation(
    emptySnapshot({
      shift: { id: 'sh1', openedAt: '2026-11-22T06:00:00.000Z', closedAt: null, operators: ['Anna'], present: ['Anna'] },
      stats: { done: 0, failed: 0, inProgress: devices.length, devicesPerHour: 0 },
      devices,
    }),
  );
}

describe('station store', () => {
  it('applies a burst of events in one render per frame, the latest view per device winning', async () => {
    const { transport, store, runFrame, renders } = setup([device('A', 'A1'), device('B', 'A2')]);
    transport.setConnection('online');
    await tick();
    expect(store.getState().live).toBe(true);
    const before = renders();
    for (let i = 1; i <= 50; i++) transport.push({ type: 'device', device: device('A', 'A1', { progress: i / 50 }) });
    transport.push({ type: 'stats', stats: { done: 1, failed: 0, inProgress: 1, devicesPerHour: 4 } });
    expect(renders()).toBe(before);
    runFrame();
    expect(renders()).toBe(before + 1);
    expect(store.getState().devices.get('A')?.progress).toBe(1);
    expect(store.getState().stats?.done).toBe(1);
  });

  it('keeps an unchanged device the same object, so its memoised tile does not re-render', async () => {
    const { transport, store, runFrame } = setup([device('A', 'A1'), device('B', 'A2')]);
    transport.setConnection('online');
    await tick();
    const b = store.getState().devices.get('B');
    transport.push({ type: 'device', device: device('A', 'A1', { progress: 0.5 }) });
    runFrame();
    expect(store.getState().devices.get('B')).toBe(b);
  });

  it('orders by slot as the hubs are built and lists who needs the technician', async () => {
    const { transport, store, runFrame } = setup([device('C', 'B1'), device('A', 'A10'), device('B', 'A2')]);
    transport.setConnection('online');
    await tick();
    expect(store.getState().order).toEqual(['B', 'A', 'C']);
    transport.push({ type: 'device', device: device('C', 'B1', { state: 'failed', error: { code: 'x', message: 'y' } }) });
    transport.push({ type: 'device', device: device('A', 'A10', { state: 'waiting', waiting: { reason: 'trust', message: 'Tap' } }) });
    runFrame();
    expect(store.getState().attention).toEqual(['A', 'C']);
  });

  it('drops events that arrive before the snapshot answer, and re-reads the snapshot on reconnect', async () => {
    const { transport, store, runFrame } = setup([device('A', 'A1')]);
    transport.holdSnapshot = true;
    transport.setConnection('online');
    transport.push({ type: 'device', device: device('A', 'A1', { progress: 0.9 }) });
    transport.pendingSnapshot!(structuredClone(transport.snapshot));
    await tick();
    runFrame();
    expect(store.getState().devices.get('A')?.progress).toBe(0.2);

    transport.setConnection('reconnecting');
    expect(store.getState().live).toBe(false);
    expect(store.getState().devices.size).toBe(1);
    transport.holdSnapshot = false;
    transport.snapshot.devices = [device('A', 'A1', { state: 'done', progress: 1 }), device('Z', 'A3')];
    transport.setConnection('online');
    await tick();
    expect(transport.snapshotCalls).toBe(2);
    expect(store.getState().live).toBe(true);
    expect(store.getState().order).toEqual(['A', 'Z']);
  });

  it('cues once when a device starts waiting or fails, not for every progress update', async () => {
    const { transport, store, runFrame } = setup([device('A', 'A1')]);
    const cues: string[] = [];
    store.onCue((kind, d) => cues.push(`${kind}:${d.serial}`));
    transport.setConnection('online');
    await tick();
    transport.push({ type: 'device', device: device('A', 'A1', { state: 'waiting', waiting: { reason: 'trust', message: '' } }) });
    runFrame();
    transport.push({ type: 'device', device: device('A', 'A1', { state: 'waiting', progress: 0.3, waiting: { reason: 'trust', message: '' } }) });
    runFrame();
    transport.push({ type: 'device', device: device('A', 'A1', { state: 'failed', error: { code: 'sim.erase', message: 'busy' } }) });
    runFrame();
    expect(cues).toEqual(['waiting:A', 'failed:A']);
  });

  it('refuses an event outside the contract', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { transport, store, runFrame } = setup([device('A', 'A1')]);
    transport.setConnection('online');
    await tick();
    transport.push({ type: 'device', device: { serial: 'A', state: 'exploded' } });
    runFrame();
    expect(store.getState().devices.get('A')?.state).toBe('running');
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('takes the hub link from the snapshot and then from hub events, keeping the tiles as they are', async () => {
    vi.useFakeTimers();
    try {
      const { transport, store, runFrame } = setup([device('A', 'A1')]);
      const hub = {
        state: 'offline' as const,
        hub: 'http://127.0.0.1:9/',
        lastAckSeq: null,
        lastAckAt: null,
        backlog: 3,
        lastError: 'connect ECONNREFUSED',
        nextAttemptAt: null,
      };
      transport.snapshot.hub = hub;
      transport.setConnection('online');
      await vi.advanceTimersByTimeAsync(0);
      expect(store.getState().hub).toEqual(hub);
      const tileA = store.getState().devices.get('A');

      transport.push({ type: 'hub', hub: { ...hub, state: 'online', backlog: 0, lastError: null, lastAckSeq: 7 } });
      runFrame();
      expect(store.getState().hub).toMatchObject({ state: 'online', backlog: 0 });
      expect(store.getState().devices.get('A')).toBe(tileA);

      // The core announces every change: the snapshot is never read again for the hub, connected or not.
      await vi.advanceTimersByTimeAsync(60_000);
      transport.setConnection('reconnecting');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(transport.snapshotCalls).toBe(1);
      store.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not read the snapshot again for a station that reports to no hub', async () => {
    vi.useFakeTimers();
    try {
      const { transport, store } = setup([device('A', 'A1')]);
      transport.setConnection('online');
      await vi.advanceTimersByTimeAsync(0);
      expect(store.getState().hub).toBeNull();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(transport.snapshotCalls).toBe(1);
      store.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes the shift the station opens by itself from its event, without reading the snapshot again', async () => {
    const { transport, store, runFrame } = setup([device('A', 'A1')]);
    transport.snapshot.shift = null;
    transport.setConnection('online');
    await tick();
    expect(store.getState().shift).toBeNull();
    const shift = { id: 'sh2', openedAt: '2026-11-22T07:00:00.000Z', closedAt: null, operators: ['unassigned'], present: [] };
    transport.push({ type: 'shift', shift });
    runFrame();
    expect(store.getState().shift).toEqual(shift);
    expect(transport.snapshotCalls).toBe(1);
  });
});

describe('slots', () => {
  it('sorts A1..A16, B1.. and puts unknown ports last', () => {
    const labels = ['B1', 'A10', 'port sim-3', 'A2', null, 'AA1', 'Z16'];
    expect([...labels].sort(compareSlots)).toEqual(['A2', 'A10', 'B1', 'Z16', 'AA1', 'port sim-3', null]);
  });

  it('keeps every slot of a hub in use in its place, empty ones too', () => {
    const groups = groupByHub([device('x', 'A3'), device('y', 'B16'), device('z', 'A3', { present: false }), device('w', null)]);
    expect(groups.map((g) => g.hub)).toEqual(['A', 'B', null]);
    expect(groups[0]!.cells).toHaveLength(16);
    expect(groups[0]!.cells[2]!.devices.map((d) => d.serial)).toEqual(['x', 'z']);
    expect(groups[0]!.cells[0]!.devices).toEqual([]);
    expect(groups[2]!.cells[0]!.devices[0]!.serial).toBe('w');
  });

  it('counts a plugged device whose run cannot start (no sign-in, no batch) as needing the technician, cues it once, and follows the header state', async () => {
    const { transport, store, runFrame } = setup([device('A', 'A1')]);
    transport.setConnection('online');
    await tick();
    const cues: string[] = [];
    store.onCue((kind, d) => cues.push(`${kind}:${d.serial}`));
    const blocked = (code: string) =>
      device('B', 'A2', { runId: null, state: null, step: null, error: { code, message: code, text: { code: 'order.no-batch', params: { serial: 'B' } } } });
    transport.push({ type: 'device', device: blocked('needs_sign_in') });
    runFrame();
    expect(store.getState().attention).toEqual(['B']);
    transport.push({ type: 'device', device: blocked('needs_sign_in') });
    runFrame();
    transport.push({ type: 'device', device: blocked('needs_assignment') });
    runFrame();
    expect(cues).toEqual(['waiting:B', 'waiting:B']);
    // Unplugged, it needs nobody; running, neither.
    transport.push({ type: 'device', device: { ...blocked('needs_assignment'), present: false } });
    runFrame();
    expect(store.getState().attention).toEqual([]);

    const batch = { orderId: 'MS-1', blueprint: 'school-ipad', customer: 'Stadt', school: 'GS Nord' };
    transport.push({ type: 'floor', floor: { batch, signInPolicy: 'wait' } });
    runFrame();
    expect(store.getState().floor).toEqual({ batch, signInPolicy: 'wait' });
  });
});
