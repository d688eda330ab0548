import { eventMessageProse } from './step-event-text.js';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import { OUTBOX_TEXT_MAX, type RunTransitionPayload } from '../../shared/contract/outbox-events.js';
import type { RunRecord, StepEventInput } from '../store/records.js';

/** A device's error text can be long (a serial console's output): the hub's copy keeps its head. */
function clipped(text: string | null): string | null {
  return text !== null && text.length > OUTBOX_TEXT_MAX ? text.slice(0, OUTBOX_TEXT_MAX) : text;
}

/** The hub's copy of a transition: enough to count and export without asking the station. */
export function transitionOutbox(stationId: string, run: RunRecord, blueprint: Blueprint, events: readonly StepEventInput[], at: string): RunTransitionPayload {
  return {
    type: 'run.transition',
    stationId,
    at,
    run: {
      id: run.id,
      serial: run.serial,
      shiftId: run.shiftId,
      slot: run.slot,
      operator: run.operator,
      blueprint: blueprint.id,
      blueprintVersion: blueprint.version,
      blueprintHash: blueprint.hash,
      state: run.state,
      step: blueprint.steps[run.stepIndex]?.id ?? null,
      stepIndex: run.stepIndex,
      attempts: run.attemptsTotal,
      errorCode: run.errorCode,
      errorMessage: clipped(run.errorMessage),
      failedStep: run.failedStep,
      captured: run.captured,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    },
    // The hub gets the events' English words, as before issue 9: its exports and stations' stay byte-identical.
    events: events.map((e) => ({ ...e, message: clipped(eventMessageProse(e.message)) })),
  };
}
