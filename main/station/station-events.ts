import type { FloorState } from '../../shared/contract/floor-api.js';
import type { DeviceView, HubLinkView, ShiftStats, ShiftView, StationEvent } from '../../shared/contract/station-api.js';
import type { Logger } from '../logging/logger.js';

export interface StationEventsDeps {
  readonly logger: Logger;
  /** The device's view now; undefined when the station no longer holds it. */
  deviceView(serial: string): DeviceView | undefined;
  stats(): ShiftStats;
  currentShift(): ShiftView | null;
  /** The current batch and the sign-in policy, as the header shows them. */
  floorState(): FloorState;
}

/** Quiet time in which device changes are gathered into one update per device. */
const COALESCE_MS = 50;

/**
 * The station's event fan-out to renderers: port tiles and layout go out at once, device changes
 * are coalesced (at most one update per device every 50 ms). A listener that throws is logged and
 * does not keep the others from their events.
 */
export class StationEvents {
  private readonly listeners = new Set<(event: StationEvent) => void>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  /** Set when the station closes: drivers stopping still report changes, but the store is going away. */
  private stopped = false;
  private hubLink: (() => HubLinkView) | null = null;
  private hubLinkSent: string | null = null;
  private hubLinkOff: (() => void) | null = null;

  constructor(private readonly deps: StationEventsDeps) {}

  onEvent(listener: (event: StationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends an event to every listener now. */
  emit(event: StationEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.deps.logger.log('error', `station event listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** The device changed: its update goes out with the next flush. */
  deviceChanged(serial: string): void {
    this.dirty.add(serial);
    if (this.stopped || this.flushTimer || this.listeners.size === 0) return;
    this.flushTimer = setTimeout(() => this.flush(), COALESCE_MS);
  }

  /** The station let go of the device: the next flush tells the renderers to drop its tile. */
  deviceRemoved(serial: string): void {
    this.removed.add(serial);
    this.deviceChanged(serial);
  }

  /** The open shift or its crew changed: shift and figures go out at once. */
  shiftChanged(): void {
    this.emit({ type: 'shift', shift: this.deps.currentShift() });
    this.emit({ type: 'stats', stats: this.deps.stats() });
  }

  /** The current batch or the sign-in policy changed: it goes out at once. */
  floorChanged(): void {
    this.emit({ type: 'floor', floor: this.deps.floorState() });
  }

  /**
   * Where the hub sender's state comes from (set when the station reports to a hub). `onChange` is
   * the sender's status feed: every change goes to the renderers as a `hub` event, so they need not poll.
   */
  setHubLink(status: (() => HubLinkView) | null, onChange?: (listener: () => void) => () => void): void {
    this.hubLinkOff?.();
    this.hubLinkOff = null;
    this.hubLink = status;
    this.hubLinkSent = null;
    if (status && onChange) this.hubLinkOff = onChange(() => this.emitHubLink());
  }

  hubLinkView(): HubLinkView | null {
    return this.hubLink?.() ?? null;
  }

  /** Sends the hub link when it differs from what the renderers last got (the backlog grows with every commit). */
  private emitHubLink(): void {
    const view = this.hubLink?.();
    if (!view) return;
    const key = JSON.stringify(view);
    if (key === this.hubLinkSent) return;
    this.hubLinkSent = key;
    this.emit({ type: 'hub', hub: view });
  }

  /** No more coalesced updates; events sent at once still go out. */
  stop(): void {
    this.hubLinkOff?.();
    this.hubLinkOff = null;
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private flush(): void {
    this.flushTimer = null;
    const serials = [...this.dirty];
    this.dirty.clear();
    for (const serial of serials) {
      const device = this.deps.deviceView(serial);
      if (device) this.emit({ type: 'device', device });
      else if (this.removed.delete(serial)) this.emit({ type: 'device-removed', serial });
    }
    this.emit({ type: 'stats', stats: this.deps.stats() });
    this.emitHubLink();
  }
}
