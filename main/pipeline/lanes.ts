import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type { BlueprintStep } from '../../shared/blueprint/schema.js';

/**
 * Caps on concurrent heavy steps. usbmuxd degrades beyond about 10 iPads on one bus, and device
 * farms cap a provider at about 25 devices: the defaults follow that advice.
 */
export interface LaneCaps {
  /** Heavy steps at once on one USB bus ("1-4.2" is bus 1; the simulator's hub is one bus). */
  heavy: number;
  /** Heavy steps at once through one driver (one usbmuxd, one adb server). */
  driver: number;
}

export const DEFAULT_LANE_CAPS: LaneCaps = { heavy: 10, driver: 25 };

/** Step types that move a lot of data or keep the device busy for minutes; a blueprint step may say otherwise (`heavy`). */
const HEAVY_STEP_TYPES: ReadonlySet<string> = new Set(['erase', 'install-app', 'install-apk', 'os-update']);

export function isHeavyStep(step: BlueprintStep): boolean {
  return step.heavy ?? HEAVY_STEP_TYPES.has(step.type);
}

/** The lanes a heavy step of a device takes: its driver's and its USB bus's. */
export function laneKeys(family: string, portPath: string | null): string[] {
  const bus = portPath === null ? null : portPath.startsWith('sim-') ? 'sim' : (/^(\d+)-/.exec(portPath)?.[1] ?? null);
  return bus === null ? [`driver:${family}`] : [`driver:${family}`, `bus:${family === 'simulated' ? 'sim' : bus}`];
}

/** "heavy=10,driver=25" (either part may be left out) as caps over `base`. */
export function parseLaneCaps(value: string, base: LaneCaps = DEFAULT_LANE_CAPS): LaneCaps {
  const caps = { ...base };
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, raw] = part.split('=');
    const n = Number(raw);
    if ((name !== 'heavy' && name !== 'driver') || !Number.isInteger(n) || n < 1) {
      throw new AppError('bad_request', message('station.lane-cap-invalid', { value }));
    }
    caps[name] = n;
  }
  return caps;
}

interface LaneRequest {
  runId: string;
  lanes: readonly string[];
  /** When the run was queued (its device plugged in): first plugged, first served. */
  queuedAt: string;
  granted(): void;
}

/**
 * Hands out lanes for heavy steps, first plugged first served: a request waits while any of its
 * lanes is full or an earlier request waits for that lane, so nobody overtakes in the lane they
 * wait for, and a device on a free bus does not wait behind a full one. Grants are made together at the end of the
 * tick, so runs restored after a restart (in any order) are served by the time they were queued.
 * The queue itself is not stored: the runs' queued times in the database rebuild it.
 */
export class LaneScheduler {
  private readonly held = new Map<string, readonly string[]>();
  private readonly inUse = new Map<string, number>();
  private waiting: LaneRequest[] = [];
  private pending = false;
  private readonly movedListeners = new Set<() => void>();

  constructor(private caps: LaneCaps = DEFAULT_LANE_CAPS) {}

  setCaps(caps: LaneCaps): void {
    this.caps = caps;
    this.schedule();
  }

  /** Asks for the lanes; `granted` is called when they are the run's. Returns the cancel (a no-op once granted). */
  request(runId: string, lanes: readonly string[], queuedAt: string, granted: () => void): () => void {
    const req: LaneRequest = { runId, lanes, queuedAt, granted };
    // Kept in queue order: after every request queued no later than this one (ties: asked first).
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.waiting[mid]!.queuedAt <= queuedAt) lo = mid + 1;
      else hi = mid;
    }
    this.waiting.splice(lo, 0, req);
    this.schedule();
    return () => {
      const before = this.waiting.length;
      this.waiting = this.waiting.filter((r) => r !== req);
      if (this.waiting.length !== before) this.schedule();
    };
  }

  /** The run's heavy step ended (or the run stopped): its lanes go to the next in line. */
  release(runId: string): void {
    const lanes = this.held.get(runId);
    if (!lanes) return;
    this.held.delete(runId);
    for (const lane of lanes) this.inUse.set(lane, (this.inUse.get(lane) ?? 1) - 1);
    this.schedule();
  }

  /**
   * How many requests wait before this run's in a lane it waits for; null when it does not wait.
   * Computed when asked (a tile is drawn), not pushed: 1000 waiting runs would otherwise hear 1000
   * position changes per grant.
   */
  position(runId: string): number | null {
    const index = this.waiting.findIndex((r) => r.runId === runId);
    const req = this.waiting[index];
    if (!req) return null;
    let ahead = 0;
    for (let i = 0; i < index; i++) if (this.waiting[i]!.lanes.some((lane) => req.lanes.includes(lane))) ahead++;
    return ahead;
  }

  /** Called once after every round that moved the queue (positions may have changed). */
  onMoved(listener: () => void): () => void {
    this.movedListeners.add(listener);
    return () => this.movedListeners.delete(listener);
  }

  /** Heavy steps holding a lane now. */
  get running(): number {
    return this.held.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  private capOf(lane: string): number {
    return lane.startsWith('bus:') ? this.caps.heavy : this.caps.driver;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.grant();
    });
  }

  private grant(): void {
    const blocked = new Set<string>();
    const granted: LaneRequest[] = [];
    const still: LaneRequest[] = [];
    for (const req of this.waiting) {
      const blocking = req.lanes.filter((lane) => blocked.has(lane) || (this.inUse.get(lane) ?? 0) >= this.capOf(lane));
      if (blocking.length === 0) {
        for (const lane of req.lanes) this.inUse.set(lane, (this.inUse.get(lane) ?? 0) + 1);
        this.held.set(req.runId, req.lanes);
        granted.push(req);
      } else {
        // Later requests queue behind this one in the lanes it waits for, not in its other lanes.
        for (const lane of blocking) blocked.add(lane);
        still.push(req);
      }
    }
    this.waiting = still;
    for (const req of granted) req.granted();
    if (still.length > 0) for (const listener of this.movedListeners) listener();
  }
}
