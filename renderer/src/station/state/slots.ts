import type { DeviceView, PortNoticeView } from '../../../../shared/contract/station-api.js';
import { compareSlotLabels, hubIndexOf, parseSlotLabel } from '../../../../shared/slot-label.js';

// "A1".."P16" (and "AA1" past Z) in the physical order of the hubs; anything else sorts last (one
// order for the station's grid and the hub's drill-down: shared/slot-label.ts).
export const compareSlots = compareSlotLabels;

/** Devices in slot order; on a shared slot the plugged-in device comes before the one that left. */
export function compareDevices(a: DeviceView, b: DeviceView): number {
  return compareSlots(a.slot, b.slot) || Number(b.present) - Number(a.present) || a.serial.localeCompare(b.serial);
}

export interface HubCell {
  slot: string;
  devices: DeviceView[];
  /** Port tiles in this slot: something plugged in that is not a device run. */
  notices: PortNoticeView[];
}

export interface HubGroup {
  /** Hub letter, or null for devices outside the bench layout. */
  hub: string | null;
  cells: HubCell[];
}

/**
 * The grid as the bench is built: for every hub in use, all its slots in order (an empty slot stays
 * in its place so tiles do not jump when a device is unplugged), then devices without a known slot.
 */
export function groupByHub(devices: readonly DeviceView[], notices: readonly PortNoticeView[] = [], slotsPerHub = 16): HubGroup[] {
  const hubs = new Map<string, Map<number, DeviceView[]>>();
  const hubNotices = new Map<string, Map<number, PortNoticeView[]>>();
  const loose: DeviceView[] = [];
  const looseNotices: PortNoticeView[] = [];
  for (const d of devices) {
    const slot = parseSlotLabel(d.slot);
    if (!slot) {
      loose.push(d);
      continue;
    }
    let positions = hubs.get(slot.hub);
    if (!positions) hubs.set(slot.hub, (positions = new Map<number, DeviceView[]>()));
    const list = positions.get(slot.number);
    if (list) list.push(d);
    else positions.set(slot.number, [d]);
  }
  for (const n of notices) {
    const slot = parseSlotLabel(n.slot);
    if (!slot) {
      looseNotices.push(n);
      continue;
    }
    if (!hubs.has(slot.hub)) hubs.set(slot.hub, new Map());
    let positions = hubNotices.get(slot.hub);
    if (!positions) hubNotices.set(slot.hub, (positions = new Map<number, PortNoticeView[]>()));
    const list = positions.get(slot.number);
    if (list) list.push(n);
    else positions.set(slot.number, [n]);
  }
  const groups: HubGroup[] = [...hubs.keys()]
    .sort((a, b) => hubIndexOf(a) - hubIndexOf(b))
    .map((hub) => {
      const positions = hubs.get(hub)!;
      const noticePositions = hubNotices.get(hub) ?? new Map<number, PortNoticeView[]>();
      const size = Math.max(slotsPerHub, ...positions.keys(), ...noticePositions.keys());
      const cells: HubCell[] = [];
      for (let p = 1; p <= size; p++) {
        cells.push({ slot: `${hub}${p}`, devices: (positions.get(p) ?? []).sort(compareDevices), notices: noticePositions.get(p) ?? [] });
      }
      return { hub, cells };
    });
  if (loose.length > 0 || looseNotices.length > 0) {
    // Devices and port tiles in ports the layout does not know: shown by port path, never hidden.
    groups.push({
      hub: null,
      cells: [
        ...loose.sort(compareDevices).map((d) => ({ slot: d.slot ?? '', devices: [d], notices: [] })),
        ...looseNotices.sort((a, b) => a.portPath.localeCompare(b.portPath)).map((n) => ({ slot: n.slot ?? '', devices: [], notices: [n] })),
      ],
    });
  }
  return groups;
}
