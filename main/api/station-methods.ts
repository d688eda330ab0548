import type { z } from 'zod';
import { ApiError, AppError } from '../../shared/contract/errors.js';
import { isStationMethod, stationMethods, type StationMethodName, type StationMethods, type StationResult } from '../../shared/contract/station-api.js';
import { SimulatorError } from '../drivers/simulated/simulated-driver.js';
import { HttpError } from '../http/http-error.js';
import { issuesText } from '../http/validate.js';
import { RunActionError, RunNotFoundError } from '../pipeline/run-controller.js';
import type { StationCore } from '../station/station-core.js';
import { StationError } from '../station/station-error.js';
import { floorHandlers } from './floor-methods.js';

/** A method's parameters as its contract schema outputs them (defaults applied). */
export type StationMethodParams<M extends StationMethodName> = z.output<StationMethods[M]['params']>;

/** Handlers typed by the contract: params are what the method's schema validated, nothing cast. */
export type StationHandlers<K extends StationMethodName> = {
  [M in K]: (core: StationCore, params: StationMethodParams<M>) => StationResult<M> | Promise<StationResult<M>>;
};

const ok = { ok: true as const };

const handlers: StationHandlers<StationMethodName> = {
  ...floorHandlers,
  snapshot: (core) => core.snapshot(),
  runDetail: (core, p) => core.runDetail(p.runId),
  retryRun: (core, p) => (core.retryRun(p.runId), ok),
  cancelRun: (core, p) => (core.cancelRun(p.runId), ok),
  confirmStep: (core, p) => (core.confirmStep(p.runId), ok),
  skipStep: (core, p) => (core.skipStep(p.runId), ok),
  openShift: (core, p) => core.openShift(p.operators),
  closeShift: (core, p) => core.closeShift(p.shiftId),
  listShifts: (core) => core.listShifts(),
  plugSimulated: (core, p) => ({ serials: core.plugSimulated(p) }),
  unplugSimulated: (core, p) => (core.unplugSimulated(p.serial), ok),
  replugSimulated: (core, p) => (core.replugSimulated(p.serial), ok),
  reidentifyPort: (core, p) => (core.reidentifyPort(p.portPath), ok),
  slotLayout: (core) => core.slotLayout(),
  saveSlot: (core, p) => core.saveSlot(p.label, p.portPath, p.position),
  deleteSlot: (core, p) => core.deleteSlot(p.label),
  startLearn: (core, p) => core.startLearn(p.labels),
  stopLearn: (core) => core.stopLearn(),
  listLibrary: (core) => core.library.list(),
  removeLibraryItem: (core, p) => (core.library.remove(p.id), ok),
};

/**
 * The one implementation of the StationApi on the main side, shared by Electron's IPC, the
 * WebSocket transport and the REST routes: the method must be in the contract and its parameters
 * must validate against the method's schema.
 */
export function callStationMethod(core: StationCore, method: string, params: unknown): unknown {
  if (!isStationMethod(method)) throw new ApiError('bad_request', `Unknown method "${method}".`);
  return callMethod(core, method, params);
}

/** callStationMethod for a method known at compile time: the result is typed by the contract. */
export function callMethod<M extends StationMethodName>(core: StationCore, method: M, params: unknown): StationResult<M> | Promise<StationResult<M>> {
  const parsed = stationMethods[method].params.safeParse(params ?? {});
  if (!parsed.success) throw new ApiError('bad_request', `Invalid parameters for ${method}: ${issuesText(parsed.error)}`);
  // One cast where the mapped type meets its key: TypeScript cannot correlate handlers[M] with M's params.
  const handler = handlers[method] as (core: StationCore, params: unknown) => StationResult<M> | Promise<StationResult<M>>;
  return handler(core, parsed.data);
}

/** The core's own errors as HTTP errors; null for anything else (left to the HTTP layer). */
export function stationHttpError(err: unknown): HttpError | null {
  if (err instanceof ApiError || err instanceof StationError) return HttpError.of(err.code, err.message);
  if (err instanceof AppError) return HttpError.of(err.code, err.text ?? err.message);
  if (err instanceof RunNotFoundError) return HttpError.of('not_found', err.message);
  if (err instanceof RunActionError) return HttpError.of('conflict', err.message);
  if (err instanceof SimulatorError) return HttpError.of('bad_request', err.message);
  return null;
}

/** Maps any error from the core to the API's error shape and an HTTP status (IPC and WebSocket). */
export function toApiError(err: unknown): { status: number; error: ApiError } {
  const known = err instanceof HttpError ? err : stationHttpError(err);
  if (known) return { status: known.status, error: new ApiError(known.code as ApiError['code'], known.message) };
  return { status: 500, error: new ApiError('internal', 'The station hit an internal error; it is in the station log.') };
}
