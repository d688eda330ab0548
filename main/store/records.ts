import type { DeviceFamily, Platform, RunState, WaitReason } from '../../shared/contract/run-state.js';

/** Internal phase of a run's state machine, finer than the contract's RunState. */
export type RunPhase = 'queued' | 'lane' | 'running' | 'waiting' | 'restarting' | 'backoff' | 'interrupted' | 'failed' | 'done' | 'cancelled';

export interface DeviceRecord {
  serial: string;
  family: DeviceFamily;
  platform: Platform;
  model: string;
  osVersion: string | null;
  portPath: string | null;
  present: boolean;
}

export interface RunRecord {
  id: string;
  serial: string;
  blueprintId: number;
  shiftId: string;
  slot: string | null;
  operator: string | null;
  state: RunState;
  phase: RunPhase;
  stepIndex: number;
  attempt: number;
  attemptsTotal: number;
  deadlineAt: number | null;
  waitingReason: WaitReason | null;
  waitingMessage: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  failedStep: string | null;
  captured: Record<string, string>;
  startedAt: string;
  finishedAt: string | null;
  updatedAt: string;
}

/** The part of a run that changes with a transition. */
export type RunPatch = Pick<
  RunRecord,
  | 'state'
  | 'phase'
  | 'stepIndex'
  | 'attempt'
  | 'attemptsTotal'
  | 'deadlineAt'
  | 'waitingReason'
  | 'waitingMessage'
  | 'errorCode'
  | 'errorMessage'
  | 'failedStep'
  | 'captured'
  | 'finishedAt'
>;

export type StepEventKind =
  'created' | 'start' | 'done' | 'fail' | 'retry-scheduled' | 'waiting' | 'proceed' | 'interrupted' | 'resumed' | 'retry' | 'skip' | 'cancel' | 'timeout';

export interface StepEventInput {
  stepIndex: number | null;
  step: string | null;
  kind: StepEventKind;
  attempt: number;
  message: string | null;
}

export interface StepEventRecord extends StepEventInput {
  id: number;
  runId: string;
  shiftId: string;
  at: string;
}

export interface ShiftRecord {
  id: string;
  openedAt: string;
  closedAt: string | null;
  /** Everyone who worked in the shift, in order of joining: the shift log's operators. */
  operators: string[];
  /** Who is signed in now (nobody once the shift is closed): what the header shows. */
  present: string[];
}

export interface SimDeviceRecord {
  serial: string;
  platform: Platform;
  model: string;
  osVersion: string;
  portPath: string;
  plugged: boolean;
  failAt: string | null;
  state: SimDeviceState;
}

/** What a simulated device remembers between steps and restarts. */
export interface SimDeviceState {
  applied?: string[];
  failuresLeft?: Record<string, number>;
  trusted?: boolean;
  battery?: number;
  name?: string;
}

export interface OutboxRecord {
  seq: number;
  kind: string;
  payload: string;
  createdAt: string;
}

/** A run as it is created: queued at its first step, nothing tried yet. */
export function newRunRecord(fields: Pick<RunRecord, 'id' | 'serial' | 'blueprintId' | 'shiftId' | 'slot' | 'operator' | 'captured'>, at: string): RunRecord {
  return {
    ...fields,
    state: 'queued',
    phase: 'queued',
    stepIndex: 0,
    attempt: 1,
    attemptsTotal: 1,
    deadlineAt: null,
    waitingReason: null,
    waitingMessage: null,
    errorCode: null,
    errorMessage: null,
    failedStep: null,
    startedAt: at,
    finishedAt: null,
    updatedAt: at,
  };
}
