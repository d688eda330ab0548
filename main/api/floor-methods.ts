import type { floorMethods } from '../../shared/contract/floor-api.js';
import type { StationResult } from '../../shared/contract/station-api.js';
import type { StationCore } from '../station/station-core.js';

type FloorMethodName = keyof typeof floorMethods;
type Handlers = { [M in FloorMethodName]: (core: StationCore, params: never) => StationResult<M> | Promise<StationResult<M>> };
const ok = { ok: true as const };

/** The StationApi methods of issue 5, on the main side (validated by callStationMethod first). */
export const floorHandlers: Handlers = {
  signIn: (core, p: { name?: string; badge?: string }) => core.operators.signIn(p),
  signOut: (core, p: { name: string }) => (core.operators.signOut(p.name), ok),
  shiftSchedule: (core) => ({ windows: core.shifts.scheduleWindows() }),
  setShiftSchedule: (core, p: { windows: string[] }) => ({ windows: core.shifts.setScheduleWindows(p.windows) }),
  importOrders: (core, p: { csv: string; fileName?: string }) => core.receipt.importOrders(p.csv, p.fileName ?? null),
  listOrders: (core) => core.receipt.orderProgress(),
  receiveSerial: (core, p: { serial: string; orderId?: string }) => core.receipt.receiveSerial(p.serial, p.orderId ?? null),
  currentBatch: (core) => core.assignment.currentBatch(),
  setCurrentBatch: (core, p: { orderId: string } | { blueprint: string; customer: string; school: string } | { clear: true }) => core.assignment.setCurrentBatch(p),
  assignDevice: (core, p: { serial: string; orderId: string }) => (core.assignment.assignDevice(p.serial, p.orderId), ok),
  labelSettings: (core) => core.labels.labelSettings(),
  setLabelPrinter: (core, p: Parameters<StationCore['labels']['setLabelPrinter']>[0] extends infer C ? { printer: C; autoPrint?: boolean } : never) =>
    core.labels.setLabelPrinter(p.printer, p.autoPrint),
  labelPreview: (core, p: { template: string; runId?: string }) => core.labels.labelPreview(p.template, p.runId),
  reprintLabel: async (core, p: { runId: string }) => (await core.labels.reprint(p.runId), ok),
  listUnits: (core, p: { state?: 'open' | 'closed' }) => core.packing.listUnits(p.state ?? null),
  createUnit: (core, p: { kind: 'box' | 'cart'; school?: string; fromSerial?: string; capacity?: number }) => core.packing.createUnit(p),
  unitDetail: (core, p: { unitId: string }) => core.packing.unitDetail(p.unitId),
  packDevice: (core, p: { unitId: string; serial: string }) => core.packing.pack(p.unitId, p.serial),
  unpackDevice: (core, p: { unitId: string; serial: string; reason: string }) => core.packing.unpack(p.unitId, p.serial, p.reason),
  closeUnit: (core, p: { unitId: string }) => core.packing.closeUnit(p.unitId),
  reopenUnit: (core, p: { unitId: string; reason: string }) => core.packing.reopenUnit(p.unitId, p.reason),
  printUnitLabel: async (core, p: { unitId: string }) => (await core.packing.printUnitLabel(p.unitId), ok),
  quarantineDevice: (core, p: { serial: string; reason: string }) => (core.quarantine.quarantineDevice(p.serial, p.reason), ok),
  releaseQuarantine: (core, p: { serial: string; note: string }) => (core.quarantine.releaseQuarantine(p.serial, p.note), ok),
  listQuarantine: (core, p: { includeReleased: boolean }) => core.quarantine.listQuarantine(p.includeReleased),
};
