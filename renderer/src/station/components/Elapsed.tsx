import { lastTick, useNow } from '../../common/clock.js';
import { elapsedMs, formatDuration } from '../../common/format.js';

function Ticking({ startedAt }: { startedAt: string }) {
  const now = useNow();
  const ms = elapsedMs(startedAt, null, now);
  return <>{ms === null ? '' : formatDuration(ms)}</>;
}

/** Elapsed time of a run: ticks once a second while it runs; its final duration once finished. */
export function Elapsed({ startedAt, finishedAt, ticking }: { startedAt: string | null; finishedAt: string | null; ticking: boolean }) {
  if (!startedAt) return null;
  if (finishedAt || !ticking) {
    const ms = elapsedMs(startedAt, finishedAt, lastTick());
    return <>{ms === null ? '' : formatDuration(ms)}</>;
  }
  return <Ticking startedAt={startedAt} />;
}
