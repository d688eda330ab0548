import { describe, expect, it } from 'vitest';
import type { DeviceView, PortNoticeView } from '../../shared/contract/station-api.js';
import { hubLabels, labelRange } from '../../renderer/src/station/bench/hub-labels.js';
import { groupByHub } from '../../renderer/src/station/state/slots.js';
import { emptySnapshot, fakeStation } from '../fixtures/fake-station-client.js';

// The renderer's side of issue 3: port tiles in the store and the grid, hub labels for learn mode.

const notice = (portPath: string, slot: string | null, extra: Partial<PortNoticeView> = {}): PortNoticeView => ({
  portPath,
  slot,
  kind: 'unsupported',
  message: 'Unsupported USB device 046d:c52b: Benchline has no driver for it.',
  usb: { vendorId: '046d', productId: 'c52b', serialNumber: null, manufacturer: 'Logitech', product: 'USB Receiver' },
  since: '2026-11-22T10:00:00.000Z',
  ...extra,
});

const device = (serial: string, slot: string | null, portPath: string | null): DeviceView => ({
  serial,
  family: 'serial',
  model: 'BL-SENSOR-2',
  slot,
  runId: `run-${serial}`,
  state: 'running',
  step: 'configure',
  progress: 0.4,
  attempts: 1,
  error: null,
  platform: 'serial',
  present: true,
  name: null,
  osVersion: '2.4.1',
  stepLabel: { de: 'Einstellungen schreiben', en: 'Write settings' },
  stepIndex: 2,
  stepCount: 6,
  blueprint: 'serial-device',
  startedAt: '2026-11-22T10:00:00.000Z',
  finishedAt: null,
  waiting: null,
  portPath,
});

describe('port tiles in the station store', () => {
  it('takes them from the snapshot, adds, replaces and removes them from events, once per frame', async () => {
    const { transport, store, runFrame } = fakeStation(emptySnapshot({ simulator: false, notices: [notice('1-4.1', 'A1')] }));
    transport.setConnection('online');
    await new Promise((r) => setTimeout(r, 0));
    expect([...store.getState().notices.keys()]).toEqual(['1-4.1']);

    transport.push({ type: 'notice', notice: notice('1-4.2', 'A2', { kind: 'identifying', message: 'Identifying the device…', usb: null }) });
    transport.push({ type: 'notice', notice: notice('1-4.1', 'A1', { kind: 'no-access', message: 'No permission' }) });
    transport.push({ type: 'notice-removed', portPath: '1-4.2' });
    transport.push({ type: 'layout', layout: { slots: [], learn: null, ports: [] } });
    expect(store.getState().notices.get('1-4.1')?.kind).toBe('unsupported');
    runFrame();
    expect([...store.getState().notices.values()].map((n) => `${n.portPath}:${n.kind}`)).toEqual(['1-4.1:no-access']);
  });
});

describe('the grid with port tiles', () => {
  it("puts a port tile in its slot, keeps the hub's other slots, and shows unmapped ports after the hubs", () => {
    const groups = groupByHub([device('SN1', 'A2', '1-4.2'), device('SN2', null, '1-9')], [notice('1-4.3', 'A3'), notice('2-1', null), notice('1-5.1', 'B1')]);
    expect(groups.map((g) => g.hub)).toEqual(['A', 'B', null]);
    expect(groups[0]?.cells).toHaveLength(16);
    expect(groups[0]?.cells[1]?.devices.map((d) => d.serial)).toEqual(['SN1']);
    expect(groups[0]?.cells[2]?.notices.map((n) => n.portPath)).toEqual(['1-4.3']);
    expect(groups[1]?.cells[0]?.notices.map((n) => n.portPath)).toEqual(['1-5.1']);
    expect(groups[2]?.cells.map((c) => c.devices[0]?.serial ?? c.notices[0]?.portPath)).toEqual(['SN2', '2-1']);
  });

  it('makes learn-mode labels for a hub', () => {
    expect(hubLabels('a', 4)).toEqual(['A1', 'A2', 'A3', 'A4']);
    expect(hubLabels('B', 3, 9)).toEqual(['B9', 'B10', 'B11']);
    expect(hubLabels('1', 4)).toEqual([]);
    expect(labelRange(hubLabels('C', 16))).toBe('C1–C16');
  });
});
