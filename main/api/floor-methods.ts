import type { floorMethods } from '../../shared/contract/floor-api.js';
import type { StationHandlers } from './station-methods.js';

const ok = { ok: true as const };

/** The StationApi methods of issue 5, on the main side (validated by callStationMethod first). */
export const floorHandlers: StationHandlers<keyof typeof floorMethods> = {
  signIn: (core, p) => core.operators.signIn(p),
  signOut: (core, p) => (core.operators.signOut(p.name), ok),
  shiftSchedule: (core) => ({ windows: core.shifts.scheduleWindows() }),
  setShiftSchedule: (core, p) => ({ windows: core.shifts.setScheduleWindows(p.windows) }),
  importOrders: (core, p) => core.receipt.importOrders(p.csv, p.fileName ?? null),
  listOrders: (core) => core.receipt.orderProgress(),
  receiveSerial: (core, p) => core.receipt.receiveSerial(p.serial, p.orderId ?? null),
  currentBatch: (core) => core.assignment.currentBatch(),
  setCurrentBatch: (core, p) => core.assignment.setCurrentBatch(p),
  assignDevice: (core, p) => (core.assignment.assignDevice(p.serial, p.orderId), ok),
  labelSettings: (core) => core.labels.labelSettings(),
  setLabelPrinter: (core, p) => core.labels.setLabelPrinter(p.printer, p.autoPrint),
  labelPreview: (core, p) => core.labels.labelPreview(p.template, p.runId),
  reprintLabel: async (core, p) => (await core.labels.reprint(p.runId), ok),
  listUnits: (core, p) => core.packing.listUnits(p.state ?? null),
  createUnit: (core, p) => core.packing.createUnit(p),
  unitDetail: (core, p) => core.packing.unitDetail(p.unitId),
  packDevice: (core, p) => core.packing.pack(p.unitId, p.serial),
  unpackDevice: (core, p) => core.packing.unpack(p.unitId, p.serial, p.reason),
  closeUnit: (core, p) => core.packing.closeUnit(p.unitId),
  reopenUnit: (core, p) => core.packing.reopenUnit(p.unitId, p.reason),
  printUnitLabel: async (core, p) => (await core.packing.printUnitLabel(p.unitId), ok),
  quarantineDevice: (core, p) => (core.quarantine.quarantineDevice(p.serial, p.reason), ok),
  releaseQuarantine: (core, p) => (core.quarantine.releaseQuarantine(p.serial, p.note), ok),
  listQuarantine: (core, p) => core.quarantine.listQuarantine(p.includeReleased),
  setSignInPolicy: (core, p) => core.setSignInPolicy(p.policy),
  scanCode: (core, p) => core.scanCode(p.code, p.packInto),
};
