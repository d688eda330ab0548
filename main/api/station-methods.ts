import { ApiError } from '../../shared/contract/errors.js';
import { isStationMethod, stationMethods, type StationMethodName, type StationResult } from '../../shared/contract/station-api.js';
import { SimulatorError } from '../drivers/simulated/simulated-driver.js';
import { RunActionError, RunNotFoundError } from '../pipeline/run-controller.js';
import type { StationCore } from '../station/station-core.js';
import { StationError } from '../station/station-error.js';
import { floorHandlers } from './floor-methods.js';

type Handlers = { [M in StationMethodName]: (core: StationCore, params: never) => StationResult<M> | Promise<StationResult<M>> };

const handlers: Handlers = {
  ...floorHandlers,
  snapshot: (core) => core.snapshot(),
  runDetail: (core, p: { runId: string }) => core.runDetail(p.runId),
  retryRun: (core, p: { runId: string }) => (core.retryRun(p.runId), { ok: true as const }),
  cancelRun: (core, p: { runId: string }) => (core.cancelRun(p.runId), { ok: true as const }),
  confirmStep: (core, p: { runId: string }) => (core.confirmStep(p.runId), { ok: true as const }),
  skipStep: (core, p: { runId: string }) => (core.skipStep(p.runId), { ok: true as const }),
  openShift: (core, p: { operators: string[] }) => core.openShift(p.operators),
  closeShift: (core, p: { shiftId: string }) => core.closeShift(p.shiftId),
  listShifts: (core) => core.listShifts(),
  plugSimulated: (core, p: { count: number; model?: string; failAt?: string; serials?: string[] }) => ({ serials: core.plugSimulated(p) }),
  unplugSimulated: (core, p: { serial: string }) => (core.unplugSimulated(p.serial), { ok: true as const }),
  replugSimulated: (core, p: { serial: string }) => (core.replugSimulated(p.serial), { ok: true as const }),
  reidentifyPort: (core, p: { portPath: string }) => (core.reidentifyPort(p.portPath), { ok: true as const }),
  slotLayout: (core) => core.slotLayout(),
  saveSlot: (core, p: { label: string; portPath: string; position?: number }) => core.saveSlot(p.label, p.portPath, p.position),
  deleteSlot: (core, p: { label: string }) => core.deleteSlot(p.label),
  startLearn: (core, p: { labels: string[] }) => core.startLearn(p.labels),
  stopLearn: (core) => core.stopLearn(),
};

/**
 * The one implementation of the StationApi on the main side, shared by the WebSocket transport and
 * Electron's IPC: the method must be in the contract and its parameters must validate.
 */
export function callStationMethod(core: StationCore, method: string, params: unknown): unknown {
  if (!isStationMethod(method)) throw new ApiError('bad_request', `Unknown method "${method}".`);
  const parsed = stationMethods[method].params.safeParse(params ?? {});
  if (!parsed.success) {
    throw new ApiError('bad_request', `Invalid parameters for ${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'} ${i.message}`).join('; ')}`);
  }
  const handler = handlers[method] as (core: StationCore, params: unknown) => unknown;
  return handler(core, parsed.data);
}

/** Maps any error from the core to the API's error shape and an HTTP status. */
export function toApiError(err: unknown): { status: number; error: ApiError } {
  if (err instanceof ApiError) return { status: statusOf(err.code), error: err };
  if (err instanceof StationError) {
    const e = new ApiError(err.code, err.message);
    return { status: statusOf(err.code), error: e };
  }
  if (err instanceof RunNotFoundError) return { status: 404, error: new ApiError('not_found', err.message) };
  if (err instanceof RunActionError) return { status: 409, error: new ApiError('conflict', err.message) };
  if (err instanceof SimulatorError) return { status: 400, error: new ApiError('bad_request', err.message) };
  return { status: 500, error: new ApiError('internal', 'The station hit an internal error; it is in the station log.') };
}

function statusOf(code: ApiError['code']): number {
  switch (code) {
    case 'unauthorized':
      return 401;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'unavailable':
      return 503;
    case 'bad_request':
      return 400;
    default:
      return 500;
  }
}
