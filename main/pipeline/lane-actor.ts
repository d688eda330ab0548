import { fromCallback, type EventObject } from 'xstate';

/** The run's line to the lane scheduler: ask for the lanes of a run's heavy step, give them back. */
export interface RunLanes {
  /** Asks for a lane for the run's current step; returns the cancel, called when the run stops waiting. */
  request(runId: string, serial: string, granted: () => void): () => void;
  release(runId: string): void;
}

/**
 * Waiting for a lane as a callback actor: it reports the grant (LANE_GRANTED). Leaving the wait
 * (cancel, device gone) withdraws the request; a granted lane is the run's until its step ends
 * (the machine's releaseLane). The place in line is read from the scheduler when a tile is drawn.
 */
export function laneActor(lanes: RunLanes) {
  return fromCallback<EventObject, { runId: string; serial: string }>(({ input, sendBack }) => {
    let waiting = true;
    const cancel = lanes.request(input.runId, input.serial, () => {
      // Granted after the run stopped waiting: nobody will run the step, so the lane goes back.
      if (!waiting) return lanes.release(input.runId);
      waiting = false;
      sendBack({ type: 'LANE_GRANTED' });
    });
    return () => {
      if (waiting) cancel();
      waiting = false;
    };
  });
}
