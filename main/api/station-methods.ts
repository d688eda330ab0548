import type { z } from 'zod';
import { AppError, isErrorCode } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { isStationMethod, stationMethods, type StationMethodName, type StationMethods, type StationResult } from '../../shared/contract/station-api.js';
import { HttpError } from '../http/http-error.js';
import { issuesText } from '../http/validate.js';
import type { StationCore } from '../station/station-core.js';
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
  if (!isStationMethod(method)) throw new AppError('bad_request', message('api.unknown-method', { method }));
  return callMethod(core, method, params);
}

/** callStationMethod for a method known at compile time: the result is typed by the contract. */
export function callMethod<M extends StationMethodName>(core: StationCore, method: M, params: unknown): StationResult<M> | Promise<StationResult<M>> {
  const parsed = stationMethods[method].params.safeParse(params ?? {});
  if (!parsed.success) throw new AppError('bad_request', message('api.invalid-params', { method, issues: issuesText(parsed.error) }));
  // One cast where the mapped type meets its key: TypeScript cannot correlate handlers[M] with M's params.
  const handler = handlers[method] as (core: StationCore, params: unknown) => StationResult<M> | Promise<StationResult<M>>;
  return handler(core, parsed.data);
}

/** The core's own errors (every one is an AppError) as HTTP errors; null for anything else (left to the HTTP layer). */
export function stationHttpError(err: unknown): HttpError | null {
  return err instanceof AppError ? HttpError.of(err.code, err.text ?? err.message) : null;
}

/** Maps any error from the core to an AppError and its HTTP status (IPC and WebSocket). */
export function toApiError(err: unknown): { status: number; error: AppError } {
  if (err instanceof AppError) return { status: err.status, error: err };
  // The HTTP layer's own refusals (body limits, malformed JSON) are prose from main/http.
  if (err instanceof HttpError) return { status: err.status, error: new AppError(isErrorCode(err.code) ? err.code : 'internal', err.message) };
  return { status: 500, error: new AppError('internal', message('api.internal')) };
}
