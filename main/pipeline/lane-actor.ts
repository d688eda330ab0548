import { fromCallback, type EventObject } from 'xstate';
import type { LaneUpdate } from './lanes.js';

/** The run's line to the lane scheduler: ask for the lanes of a run's heavy step, give them back. */
export interface RunLanes {
  /** Asks for a lane for the run's current step; returns the cancel, called when the run stops waiting. */
  request(runId: string, serial: string, notify: (update: LaneUpdate) => void): () => void;
  release(runId: string): void;
}

/**
 * Waiting for a lane as a callback actor: it reports the queue position (LANE_QUEUED) and the grant
 * (LANE_GRANTED). Leaving the wait (cancel, device gone) withdraws the request; a granted lane is
 * the run's until its step ends (the machine's releaseLane).
 */
export function laneActor(lanes: RunLanes) {
  return fromCallback<EventObject, { runId: string; serial: string }>(({ input, sendBack }) => {
    let waiting = true;
    const cancel = lanes.request(input.runId, input.serial, (update) => {
      if (!waiting) {
        // Granted after the run stopped waiting: nobody will run the step, so the lane goes back.
        if (update.granted) lanes.release(input.runId);
        return;
      }
      if (update.granted) {
        waiting = false;
        sendBack({ type: 'LANE_GRANTED' });
      } else sendBack({ type: 'LANE_QUEUED', ahead: update.ahead });
    });
    return () => {
      if (waiting) cancel();
      waiting = false;
    };
  });
}
