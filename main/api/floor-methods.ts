import type { floorMethods } from '../../shared/contract/floor-api.js';
import type { StationResult } from '../../shared/contract/station-api.js';
import type { StationCore } from '../station/station-core.js';

type FloorMethodName = keyof typeof floorMethods;
type Handlers = { [M in FloorMethodName]: (core: StationCore, params: never) => StationResult<M> | Promise<StationResult<M>> };
const ok = { ok: true as const };

/** The StationApi methods of issue 5, on the main side (validated by callStationMethod first). */
export const floorHandlers: Handlers = {
  signIn: (core, p: { name?: string; badge?: string }) => core.floor.signIn(p),
  signOut: (core, p: { name: string }) => (core.floor.signOut(p.name), ok),
  shiftSchedule: (core) => ({ windows: core.floor.scheduleWindows() }),
  setShiftSchedule: (core, p: { windows: string[] }) => ({ windows: core.floor.setScheduleWindows(p.windows) }),
  importOrders: (core, p: { csv: string; fileName?: string }) => core.floor.importOrders(p.csv, p.fileName ?? null),
  listOrders: (core) => core.floor.orderProgress(),
  receiveSerial: (core, p: { serial: string; orderId?: string }) => core.floor.receiveSerial(p.serial, p.orderId ?? null),
  currentBatch: (core) => core.floor.currentBatch(),
  setCurrentBatch: (core, p: { orderId: string } | { blueprint: string; customer: string; school: string } | { clear: true }) => core.floor.setCurrentBatch(p),
  assignDevice: (core, p: { serial: string; orderId: string }) => (core.floor.assignDevice(p.serial, p.orderId), ok),
  labelSettings: (core) => core.floor.labelSettings(),
  setLabelPrinter: (core, p: Parameters<StationCore['floor']['setLabelPrinter']>[0] extends infer C ? { printer: C; autoPrint?: boolean } : never) =>
    core.floor.setLabelPrinter(p.printer, p.autoPrint),
  labelPreview: (core, p: { template: string; runId?: string }) => core.floor.labelPreview(p.template, p.runId),
  reprintLabel: async (core, p: { runId: string }) => (await core.floor.reprint(p.runId), ok),
  listUnits: (core, p: { state?: 'open' | 'closed' }) => core.floor.listUnits(p.state ?? null),
  createUnit: (core, p: { kind: 'box' | 'cart'; school?: string; fromSerial?: string; capacity?: number }) => core.floor.createUnit(p),
  unitDetail: (core, p: { unitId: string }) => core.floor.unitDetail(p.unitId),
  packDevice: (core, p: { unitId: string; serial: string }) => core.floor.pack(p.unitId, p.serial),
  unpackDevice: (core, p: { unitId: string; serial: string; reason: string }) => core.floor.unpack(p.unitId, p.serial, p.reason),
  closeUnit: (core, p: { unitId: string }) => core.floor.closeUnit(p.unitId),
  reopenUnit: (core, p: { unitId: string; reason: string }) => core.floor.reopenUnit(p.unitId, p.reason),
  printUnitLabel: async (core, p: { unitId: string }) => (await core.floor.printUnitLabel(p.unitId), ok),
  quarantineDevice: (core, p: { serial: string; reason: string }) => (core.floor.quarantineDevice(p.serial, p.reason), ok),
  releaseQuarantine: (core, p: { serial: string; note: string }) => (core.floor.releaseQuarantine(p.serial, p.note), ok),
  listQuarantine: (core, p: { includeReleased: boolean }) => core.floor.listQuarantine(p.includeReleased),
};
