import { readEventMessage } from '../pipeline/step-event-text.js';
import { labelPair, type Blueprint } from '../../shared/blueprint/schema.js';
import type { DeviceView, RunDetail, RunError, RunSummary, StepTimelineEntry } from '../../shared/contract/station-api.js';
import type { StepProgress } from '../drivers/driver.js';
import type { DeviceRecord, RunRecord, StepEventRecord } from '../store/records.js';
import type { Message } from '../../shared/messages/catalogue.js';
import { isRunClosed, type WaitReason } from '../../shared/contract/run-state.js';

export function runSummary(run: RunRecord, blueprint: Blueprint): RunSummary {
  return {
    runId: run.id,
    serial: run.serial,
    slot: run.slot,
    shiftId: run.shiftId,
    blueprint: blueprint.id,
    blueprintVersion: blueprint.version,
    state: run.state,
    step: blueprint.steps[run.stepIndex]?.id ?? null,
    attempts: run.attemptsTotal,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.errorCode ? { code: run.errorCode, message: run.errorMessage ?? '' } : null,
  };
}

export function deviceView(
  device: DeviceRecord,
  slot: string | null,
  run: {
    record: RunRecord;
    blueprint: Blueprint;
    stepProgress?: StepProgress | null;
    /** A live run's wait as its machine holds it now; a finished run's comes from its record. */
    waiting?: { reason: WaitReason; message: string; text: Message | null } | null;
  } | null,
  problem: RunError | null,
): DeviceView {
  const r = run?.record ?? null;
  const steps = run?.blueprint.steps ?? [];
  const step = r ? steps[r.stepIndex] : undefined;
  const done = r?.state === 'done';
  return {
    serial: device.serial,
    family: device.family,
    model: device.model,
    slot,
    runId: r?.id ?? null,
    state: r?.state ?? null,
    step: step?.id ?? null,
    progress: !r || steps.length === 0 ? 0 : done ? 1 : Math.min(1, (r.stepIndex + stepFraction(run?.stepProgress)) / steps.length),
    attempts: r?.attemptsTotal ?? 0,
    error: r?.errorCode ? { code: r.errorCode, message: r.errorMessage ?? '' } : problem,
    platform: device.platform,
    present: device.present,
    name: r?.captured.deviceName ?? null,
    osVersion: device.osVersion,
    stepLabel: step ? labelPair(step.label, step.id) : null,
    stepIndex: r?.stepIndex ?? 0,
    stepCount: steps.length,
    blueprint: run?.blueprint.id ?? null,
    startedAt: r?.startedAt ?? null,
    finishedAt: r?.finishedAt ?? null,
    waiting: waitingOf(r, run?.waiting),
    portPath: device.portPath,
    stepProgress: r && !isRunClosed(r.state) ? (run?.stepProgress ?? null) : null,
  };
}

function waitingOf(r: RunRecord | null, live: { reason: WaitReason; message: string; text: Message | null } | null | undefined): DeviceView['waiting'] {
  if (live) return { reason: live.reason, message: live.message, ...(live.text ? { text: live.text } : {}) };
  if (live === null || !r?.waitingReason) return null;
  return { reason: r.waitingReason, message: r.waitingMessage ?? '' };
}

/** How far the running step is, from its last progress report (0 without one). */
function stepFraction(progress: StepProgress | null | undefined): number {
  return progress ? Math.min(1, Math.max(0, progress.percent / 100)) : 0;
}

const FINISHING: ReadonlySet<string> = new Set(['done', 'fail', 'timeout', 'skip', 'interrupted']);

/** The step timeline of a run, derived from its step events. */
export function runDetail(run: RunRecord, blueprint: Blueprint, events: StepEventRecord[]): RunDetail {
  const steps: StepTimelineEntry[] = blueprint.steps.map((step, index) => {
    const own = events.filter((e) => e.stepIndex === index);
    const starts = own.filter((e) => e.kind === 'start');
    const last = own.at(-1);
    const lastFinish = [...own].reverse().find((e) => FINISHING.has(e.kind));
    let status: StepTimelineEntry['status'] = 'pending';
    if (own.some((e) => e.kind === 'skip')) status = 'skipped';
    if (own.some((e) => e.kind === 'done')) status = 'done';
    if (index === run.stepIndex && run.state !== 'done') {
      if (run.state === 'failed') status = 'failed';
      else if (run.state === 'waiting') status = 'waiting';
      else if (run.state === 'interrupted') status = 'interrupted';
      else if (run.state === 'running') status = 'running';
    }
    const startedAt = starts[0]?.at ?? null;
    const finishedAt = status === 'done' || status === 'failed' || status === 'skipped' ? (lastFinish?.at ?? null) : null;
    return {
      index,
      id: step.id,
      type: step.type,
      label: labelPair(step.label, step.id),
      status,
      // A step resumed after an interruption (device gone, station restarted) starts again within the same attempt.
      attempts: own.filter((e, i) => e.kind === 'start' && own[i - 1]?.kind !== 'resumed').length,
      startedAt,
      finishedAt,
      durationMs: startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : null,
      ...readEventMessage(last?.message ?? null),
    };
  });
  const next = run.state === 'done' ? null : blueprint.steps[run.stepIndex + (run.state === 'failed' ? 0 : 1)];
  return {
    run: runSummary(run, blueprint),
    steps,
    captured: run.captured,
    events: events.map((e) => ({ at: e.at, step: e.step, kind: e.kind, attempt: e.attempt, ...readEventMessage(e.message) })),
    nextStep: next ? labelPair(next.label, next.id) : null,
  };
}
