import { eventMessageProse } from './step-event-text.js';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import type { RunRecord, StepEventInput } from '../store/records.js';

export interface OutboxWrite {
  kind: string;
  payload: string;
}

/** The hub's copy of a transition: enough to count and export without asking the station. */
export function transitionOutbox(stationId: string, run: RunRecord, blueprint: Blueprint, events: readonly StepEventInput[], at: string): OutboxWrite {
  const payload = {
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
      errorMessage: run.errorMessage,
      failedStep: run.failedStep,
      captured: run.captured,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    },
    // The hub gets the events' English words, as before issue 9: its exports and stations' stay byte-identical.
    events: events.map((e) => ({ ...e, message: eventMessageProse(e.message) })),
  };
  return { kind: 'run.transition', payload: JSON.stringify(payload) };
}
