import type { FloorState } from '../../../../shared/contract/floor-api.js';
import type { DeviceView, HubLinkView, PortNoticeView, ShiftStats, ShiftView, StationEvent } from '../../../../shared/contract/station-api.js';
import type { ConnectionState, StationClient } from '../../transport/index.js';
import { syncServerTime } from '../../common/clock.js';
import { compareDevices } from './slots.js';
import { isBlocked } from './device-text.js';
import { needsTechnician as stateNeedsTechnician } from '../../../../shared/contract/run-state.js';

export interface StationInfo {
  id: string;
  name: string;
  version: string;
  simulator: boolean;
}

export interface StationState {
  connection: ConnectionState;
  /** True once a snapshot arrived on the current connection: the numbers on screen are live. */
  live: boolean;
  /** False until the first snapshot ever arrived. */
  loaded: boolean;
  station: StationInfo | null;
  shift: ShiftView | null;
  stats: ShiftStats | null;
  devices: ReadonlyMap<string, DeviceView>;
  /** Serials in slot order. */
  order: readonly string[];
  /** Devices waiting or failed, in slot order: they need the technician. */
  attention: readonly string[];
  /** Port tiles by port path: unsupported, unreadable or unidentified devices. */
  notices: ReadonlyMap<string, PortNoticeView>;
  /** The station's link to its hub; null when it reports to none. */
  hub: HubLinkView | null;
  /** The current batch and the sign-in policy; null from a station that does not send them. */
  floor: FloorState | null;
}

export type CueListener = (kind: 'waiting' | 'failed', device: DeviceView) => void;

/** Runs a flush on the next animation frame, or after a short timeout when frames stop (hidden window). */
export type FrameScheduler = (flush: () => void) => void;

export const animationFrameScheduler: FrameScheduler = (flush) => {
  let ran = false;
  const once = () => {
    if (ran) return;
    ran = true;
    clearTimeout(timer);
    flush();
  };
  const timer = setTimeout(once, 250);
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
};

const EMPTY: StationState = {
  connection: 'connecting',
  live: false,
  loaded: false,
  station: null,
  shift: null,
  stats: null,
  devices: new Map(),
  order: [],
  attention: [],
  notices: new Map(),
  hub: null,
  floor: null,
};

/** Waiting, failed, or plugged in with a run that cannot start (sign-in, batch, blueprint): a person has to act. */
function needsTechnician(d: DeviceView): boolean {
  return stateNeedsTechnician(d.state) || isBlocked(d);
}

/**
 * What the technician's screen shows, kept outside React. Events are not applied one by one:
 * they are coalesced per device and applied once per animation frame, so 256 devices updating
 * many times a second cost one render per frame, and only tiles whose device changed re-render.
 */
export class StationStore {
  private state: StationState = EMPTY;
  private readonly listeners = new Set<() => void>();
  private readonly cueListeners = new Set<CueListener>();
  private pendingDevices = new Map<string, DeviceView | null>();
  private pendingNotices = new Map<string, PortNoticeView | null>();
  private pendingStats: ShiftStats | null = null;
  private pendingShift: { shift: ShiftView | null } | null = null;
  private pendingHub: HubLinkView | null = null;
  private pendingFloor: FloorState | null = null;
  private flushScheduled = false;
  /** Bumped on every (re)connection, so a snapshot of an older connection is ignored. */
  private generation = 0;
  private awaitingSnapshot = true;
  private snapshotRetry: ReturnType<typeof setTimeout> | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly client: StationClient,
    private readonly schedule: FrameScheduler = animationFrameScheduler,
  ) {}

  start(): void {
    this.unsubscribe.push(this.client.onEvent((e) => this.receive(e)));
    this.unsubscribe.push(this.client.onConnection((c) => this.connectionChanged(c)));
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.snapshotRetry) clearTimeout(this.snapshotRetry);
  }

  getState = (): StationState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  onCue(listener: CueListener): () => void {
    this.cueListeners.add(listener);
    return () => this.cueListeners.delete(listener);
  }

  /** Re-reads everything, e.g. after an action whose effect should show at once. */
  refresh(): void {
    this.loadSnapshot(this.generation);
  }

  private set(next: Partial<StationState>): void {
    this.state = { ...this.state, ...next };
    for (const l of this.listeners) l();
  }

  private connectionChanged(connection: ConnectionState): void {
    this.generation++;
    this.pendingDevices.clear();
    this.pendingNotices.clear();
    this.pendingStats = null;
    this.pendingShift = null;
    this.pendingHub = null;
    this.pendingFloor = null;
    if (connection === 'online') {
      // Events that arrive before the snapshot's answer were sent before it was taken: drop them.
      this.awaitingSnapshot = true;
      this.set({ connection });
      this.loadSnapshot(this.generation);
    } else {
      this.awaitingSnapshot = true;
      this.set({ connection, live: false });
    }
  }

  private loadSnapshot(generation: number): void {
    if (this.snapshotRetry) clearTimeout(this.snapshotRetry);
    this.client.api.snapshot({}).then(
      (snap) => {
        if (generation !== this.generation) return;
        this.awaitingSnapshot = false;
        syncServerTime(snap.serverTime);
        const devices = new Map(snap.devices.map((d) => [d.serial, d]));
        const { order, attention } = this.derive(devices);
        this.set({
          live: true,
          loaded: true,
          station: { id: snap.stationId, name: snap.stationName, version: snap.version, simulator: snap.simulator },
          shift: snap.shift,
          stats: snap.stats,
          devices,
          order,
          attention,
          notices: new Map((snap.notices ?? []).map((n) => [n.portPath, n])),
          hub: snap.hub ?? null,
          floor: snap.floor ?? null,
        });
      },
      () => {
        if (generation !== this.generation || this.client.connection !== 'online') return;
        this.snapshotRetry = setTimeout(() => this.loadSnapshot(generation), 1000);
      },
    );
  }

  private receive(event: StationEvent): void {
    if (this.awaitingSnapshot) return;
    switch (event.type) {
      case 'device':
        this.pendingDevices.set(event.device.serial, event.device);
        break;
      case 'device-removed':
        this.pendingDevices.set(event.serial, null);
        break;
      case 'stats':
        this.pendingStats = event.stats;
        break;
      case 'shift':
        this.pendingShift = { shift: event.shift };
        break;
      case 'notice':
        this.pendingNotices.set(event.notice.portPath, event.notice);
        break;
      case 'notice-removed':
        this.pendingNotices.set(event.portPath, null);
        break;
      case 'hub':
        this.pendingHub = event.hub;
        break;
      case 'floor':
        this.pendingFloor = event.floor;
        break;
      default:
        // 'layout' is for the slot layout dialog, which listens itself.
        return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** Applies everything that arrived since the last frame in one state change. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pendingDevices.size === 0 && this.pendingNotices.size === 0 && !this.pendingStats && !this.pendingShift && !this.pendingHub && !this.pendingFloor)
      return;
    const next: Partial<StationState> = {};
    if (this.pendingNotices.size > 0) {
      const notices = new Map(this.state.notices);
      for (const [port, notice] of this.pendingNotices) {
        if (notice) notices.set(port, notice);
        else notices.delete(port);
      }
      this.pendingNotices = new Map();
      next.notices = notices;
    }
    if (this.pendingDevices.size > 0) {
      const devices = new Map(this.state.devices);
      let reorder = false;
      const cues: ['waiting' | 'failed', DeviceView][] = [];
      for (const [serial, device] of this.pendingDevices) {
        const before = devices.get(serial);
        if (device === null) {
          if (devices.delete(serial)) reorder = true;
          continue;
        }
        if (!before || before.slot !== device.slot || before.present !== device.present) reorder = true;
        if (before && needsTechnician(before) !== needsTechnician(device)) reorder = true;
        if (device.state === 'failed' && before?.state !== 'failed') cues.push(['failed', device]);
        else if (device.state === 'waiting' && (before?.state !== 'waiting' || before.waiting?.reason !== device.waiting?.reason)) {
          cues.push(['waiting', device]);
        } else if (isBlocked(device) && (!before || !isBlocked(before) || before.error?.code !== device.error?.code)) {
          // A plugged device whose run cannot start waits for the technician like one at a Trust prompt.
          cues.push(['waiting', device]);
        }
        devices.set(serial, device);
      }
      this.pendingDevices = new Map();
      next.devices = devices;
      if (reorder) Object.assign(next, this.derive(devices));
      for (const [kind, device] of cues) for (const l of this.cueListeners) l(kind, device);
    }
    if (this.pendingStats) next.stats = this.pendingStats;
    if (this.pendingShift) next.shift = this.pendingShift.shift;
    if (this.pendingHub) next.hub = this.pendingHub;
    if (this.pendingFloor) next.floor = this.pendingFloor;
    this.pendingStats = null;
    this.pendingShift = null;
    this.pendingHub = null;
    this.pendingFloor = null;
    this.set(next);
  }

  private derive(devices: ReadonlyMap<string, DeviceView>): { order: string[]; attention: string[] } {
    const sorted = [...devices.values()].sort(compareDevices);
    return { order: sorted.map((d) => d.serial), attention: sorted.filter(needsTechnician).map((d) => d.serial) };
  }
}
