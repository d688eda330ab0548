import type { floorMethods } from '../../shared/contract/floor-api.js';
import type { StationHandlers } from './station-methods.js';

const ok = { ok: true as const };

/** The StationApi methods of issue 5, on the main side (validated by callStationMethod first). */
export const floorHandlers: StationHandlers<keyof typeof floorMethods> = {
  signIn: (core, p) => core.floor.signIn(p),
  signOut: (core, p) => (core.floor.signOut(p.name), ok),
  shiftSchedule: (core) => ({ windows: core.floor.scheduleWindows() }),
  setShiftSchedule: (core, p) => ({ windows: core.floor.setScheduleWindows(p.windows) }),
  importOrders: (core, p) => core.floor.importOrders(p.csv, p.fileName ?? null),
  listOrders: (core) => core.floor.orderProgress(),
  receiveSerial: (core, p) => core.floor.receiveSerial(p.serial, p.orderId ?? null),
  currentBatch: (core) => core.floor.currentBatch(),
  setCurrentBatch: (core, p) => core.floor.setCurrentBatch(p),
  assignDevice: (core, p) => (core.floor.assignDevice(p.serial, p.orderId), ok),
  labelSettings: (core) => core.floor.labelSettings(),
  setLabelPrinter: (core, p) => core.floor.setLabelPrinter(p.printer, p.autoPrint),
  labelPreview: (core, p) => core.floor.labelPreview(p.template, p.runId),
  reprintLabel: async (core, p) => (await core.floor.reprint(p.runId), ok),
  listUnits: (core, p) => core.floor.listUnits(p.state ?? null),
  createUnit: (core, p) => core.floor.createUnit(p),
  unitDetail: (core, p) => core.floor.unitDetail(p.unitId),
  packDevice: (core, p) => core.floor.pack(p.unitId, p.serial),
  unpackDevice: (core, p) => core.floor.unpack(p.unitId, p.serial, p.reason),
  closeUnit: (core, p) => core.floor.closeUnit(p.unitId),
  reopenUnit: (core, p) => core.floor.reopenUnit(p.unitId, p.reason),
  printUnitLabel: async (core, p) => (await core.floor.printUnitLabel(p.unitId), ok),
  quarantineDevice: (core, p) => (core.floor.quarantineDevice(p.serial, p.reason), ok),
  releaseQuarantine: (core, p) => (core.floor.releaseQuarantine(p.serial, p.note), ok),
  listQuarantine: (core, p) => core.floor.listQuarantine(p.includeReleased),
};
