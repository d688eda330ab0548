import type { PortNoticeView, SlotLayout, StationEvent, UsbIdentity } from '../../shared/contract/station-api.js';
import type { PortNotice, PortUsbIds } from '../drivers/driver.js';
import type { UsbPortFeed } from '../drivers/usb/usb-port-feed.js';
import { formatUsbId, hex4, vendorName } from '../drivers/usb/usb-ids.js';
import type { UsbBackend } from '../drivers/usb/usb-backend.js';
import { TestUsbBackend } from '../drivers/usb/test-usb-backend.js';
import { UsbWatcher, type UsbDeviceInfo } from '../drivers/usb/usb-watcher.js';
import type { Logger } from '../logging/logger.js';
import type { StationStore } from '../store/station-store.js';
import { slotPosition } from '../../shared/slot-label.js';

/** What the bench needs from the station core. */
export interface BenchHost {
  readonly store: StationStore;
  readonly logger: Logger;
  /** Whether the station runs the driver of a family ("serial", "ios", ...). */
  driverRunning(family: string): boolean;
  /** Where USB devices go for drivers that do not enumerate their own (USB-serial bridges). */
  readonly usbPorts: UsbPortFeed | null;
  /** Devices plugged in now. */
  presentDevices(): { serial: string; portPath: string | null; model: string }[];
  /** Whether the simulator runs (its sim-N ports are then part of the layout). */
  readonly simulatorOn: boolean;
  emit(event: StationEvent): void;
  /** The layout changed: devices and runs take their new slots. */
  layoutChanged(): void;
  /** Learn mode ended: runs held back while it ran may start. */
  learnEnded(): void;
  now(): string;
}

const FAMILY_NAMES: Record<string, string> = { ios: 'iPhone/iPad', android: 'Android device', serial: 'USB-serial device' };

export function usbIdentity(info: PortUsbIds): UsbIdentity {
  return {
    vendorId: hex4(info.vendorId),
    productId: hex4(info.productId),
    serialNumber: info.serialNumber,
    manufacturer: info.manufacturer ?? vendorName(info.vendorId),
    product: info.product,
  };
}

/**
 * The physical bench: the USB watcher (USB locations become port paths and port notices), the port
 * tiles themselves, the slot layout and its learn mode. Drivers find their own devices and report
 * them with the port path; the watcher only tells which ports are in use and by what.
 */
export class BenchHardware {
  private watcher: UsbWatcher | null = null;
  private readonly notices = new Map<string, { notice: PortNotice; since: string }>();
  private learn: { labels: string[]; next: number; learned: { label: string; portPath: string }[] } | null = null;

  constructor(
    private readonly host: BenchHost,
    private readonly usbBackend: UsbBackend | null,
    private readonly usbSettleMs?: number,
  ) {}

  /** Starts the USB watcher (when the station runs the usb driver); reports what is plugged in already. */
  async start(): Promise<void> {
    if (!this.usbBackend) return;
    this.watcher = new UsbWatcher({
      backend: this.usbBackend,
      // The test source's ports are made up: never read a real device's sysfs strings for them.
      ...(this.usbBackend instanceof TestUsbBackend ? { sysfsRoot: null } : {}),
      ...(this.usbSettleMs !== undefined ? { settleMs: this.usbSettleMs } : {}),
      log: (level, message, fields) => this.host.logger.log(level, message, fields),
    });
    await this.watcher.start({ attached: (d) => this.usbAttached(d), detached: (d) => this.usbDetached(d) });
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = null;
  }

  get usbRunning(): boolean {
    return this.watcher !== null;
  }

  /** True while learn mode waits for devices: new devices do not start runs then. */
  get learning(): boolean {
    return this.learn !== null && this.learn.next < this.learn.labels.length;
  }

  // ---- USB routing ---------------------------------------------------------------------------

  private usbAttached(info: UsbDeviceInfo): void {
    this.portAppeared(info.portPath);
    const ids = formatUsbId(info.vendorId, info.productId);
    const name = [info.manufacturer ?? vendorName(info.vendorId), info.product].filter(Boolean).join(' ');
    const route = info.route;
    if (route.kind === 'driver') {
      // A bridge with no enumerator of its own goes to its driver; a running driver that enumerates
      // itself (usbmuxd, adb) reports the device at this port: one tile, never a notice beside it.
      if (this.host.usbPorts?.attached(route.family, info)) return;
      if (this.host.driverRunning(route.family) && info.access.ok) return;
    }
    if (!info.access.ok) {
      this.setNotice({
        portPath: info.portPath,
        kind: info.access.problem === 'permission' ? 'no-access' : 'no-answer',
        message: info.access.message,
        usb: info,
      });
      return;
    }
    if (route.kind === 'driver') {
      this.setNotice({
        portPath: info.portPath,
        kind: 'driver-off',
        message: `${FAMILY_NAMES[route.family] ?? route.family} recognised (${name || ids}), but this station runs without the ${route.family} driver: start it with --drivers including "${route.family}".`,
        usb: info,
      });
      return;
    }
    this.setNotice({
      portPath: info.portPath,
      kind: 'unsupported',
      message: `Unsupported USB device ${ids}${name ? ` (${name})` : ''}: Benchline has no driver for it. Unplug it, or ask an admin whether it belongs on this bench.`,
      usb: info,
    });
  }

  private usbDetached(info: UsbDeviceInfo): void {
    if (info.route.kind === 'driver') this.host.usbPorts?.detached(info.route.family, info);
    this.clearNotice(info.portPath);
  }

  // ---- notices -------------------------------------------------------------------------------

  setNotice(notice: PortNotice): void {
    const prev = this.notices.get(notice.portPath);
    const since = prev && prev.notice.kind === notice.kind ? prev.since : this.host.now();
    this.notices.set(notice.portPath, { notice, since });
    this.host.emit({ type: 'notice', notice: this.noticeView(notice, since) });
  }

  clearNotice(portPath: string): void {
    if (!this.notices.delete(portPath)) return;
    this.host.emit({ type: 'notice-removed', portPath });
  }

  listNotices(): PortNoticeView[] {
    return [...this.notices.values()].map(({ notice, since }) => this.noticeView(notice, since));
  }

  private noticeView(notice: PortNotice, since: string): PortNoticeView {
    return {
      portPath: notice.portPath,
      slot: this.host.store.slotForPort(notice.portPath),
      kind: notice.kind,
      message: notice.message,
      ...(notice.text ? { text: notice.text } : {}),
      usb: notice.usb ? usbIdentity(notice.usb) : null,
      since,
    };
  }

  // ---- layout and learn mode -----------------------------------------------------------------

  layout(): SlotLayout {
    const devices = this.host.presentDevices();
    const occupants = new Map(devices.filter((d) => d.portPath).map((d) => [d.portPath as string, d.serial]));
    const slots = this.host.store
      .listSlots()
      .filter((s) => this.host.simulatorOn || !s.portPath.startsWith('sim-'))
      .map((s) => ({ ...s, occupant: occupants.get(s.portPath) ?? null }));
    const ports = new Map<string, string>();
    for (const d of devices) if (d.portPath) ports.set(d.portPath, `${d.model} ${d.serial}`);
    for (const { notice } of this.notices.values()) {
      if (ports.has(notice.portPath)) continue;
      const usb = notice.usb;
      ports.set(notice.portPath, usb ? `${formatUsbId(usb.vendorId, usb.productId)} ${usb.product ?? ''}`.trim() : notice.kind);
    }
    return {
      slots,
      learn: this.learn ? { labels: [...this.learn.labels], next: this.learn.next, learned: this.learn.learned.map((l) => ({ ...l })) } : null,
      ports: [...ports]
        .map(([portPath, what]) => ({ portPath, slot: this.host.store.slotForPort(portPath), what }))
        .sort((a, b) => a.portPath.localeCompare(b.portPath)),
    };
  }

  saveSlot(label: string, portPath: string, position?: number): void {
    this.host.store.saveSlot({ label, portPath, position: position ?? this.positionFor(label) });
    this.changed();
  }

  deleteSlot(label: string): boolean {
    const deleted = this.host.store.deleteSlot(label);
    if (deleted) this.changed();
    return deleted;
  }

  startLearn(labels: string[]): void {
    this.learn = { labels: [...labels], next: 0, learned: [] };
    this.host.logger.log('info', `learn mode: plug a device into ${labels.join(', ')} in turn`);
    this.emitLayout();
  }

  stopLearn(): void {
    const was = this.learning;
    this.learn = null;
    this.emitLayout();
    if (was) this.host.learnEnded();
  }

  /**
   * A device appeared at a port. In learn mode the port becomes the slot the technician is at;
   * a port learned in this round already (the same device wiggled) is not taken twice.
   */
  portAppeared(portPath: string): void {
    const learn = this.learn;
    if (!learn || learn.next >= learn.labels.length) return;
    if (learn.learned.some((l) => l.portPath === portPath)) return;
    const label = learn.labels[learn.next] as string;
    this.host.store.saveSlot({ label, portPath, position: this.positionFor(label) });
    learn.learned.push({ label, portPath });
    learn.next++;
    this.host.logger.log('info', `learn mode: slot ${label} is port ${portPath}`);
    this.changed();
    if (learn.next >= learn.labels.length) this.host.learnEnded();
  }

  private positionFor(label: string): number {
    const slots = this.host.store.listSlots();
    const existing = slots.find((s) => s.label === label);
    if (existing) return existing.position;
    return slotPosition(label) ?? slots.reduce((max, s) => Math.max(max, s.position + 1), 0);
  }

  private changed(): void {
    this.host.layoutChanged();
    for (const [, { notice, since }] of this.notices) this.host.emit({ type: 'notice', notice: this.noticeView(notice, since) });
    this.emitLayout();
  }

  private emitLayout(): void {
    this.host.emit({ type: 'layout', layout: this.layout() });
  }
}
