// Over 400 lines: the technician screen's keyboard and scanner handling (one key stream deciding what a
// burst of keys means) and the dialogs it opens live together; the grid, tiles, drawer and floor tabs
// are their own components.
import { useCallback, useEffect, useEffectEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceView } from '../../../shared/contract/station-api.js';
import type { CuePlayer } from '../common/cue.js';
import { KeyStream } from '../common/key-stream.js';
import { currentLanguage } from '../common/i18n/index.js';
import { TransportError } from '../transport/index.js';
import { DetailDrawer } from './components/DetailDrawer.js';
import { LiveGrid } from './components/Grid.js';
import { Header } from './components/Header.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { Notices, type Notice } from './components/Notices.js';
import { CloseShiftDialog, OpenShiftDialog, ShiftScheduleDialog, type SignInEntry } from './components/ShiftDialogs.js';
import { SimulatorPanel, SimulatorToggle, storeSimulatorOpen, storedSimulatorOpen } from './components/SimulatorPanel.js';
import { FloorButton, FloorPanel, type FloorTab } from './floor/FloorPanel.js';
import { usePacking } from './floor/use-packing.js';
import { SlotLayoutDialog, SlotsButton } from './bench/SlotLayoutDialog.js';
import type { TileAction } from './components/Tile.js';
import { useStation, useStationState } from './state/context.js';
import { labelText, waitsForTechnician } from './state/device-text.js';
import { isNewDeviceCode, reidentifiablePort } from './state/new-device.js';
import { qrProvisioningOf, type QrProvisioning } from './state/qr-provisioning.js';
import { QrSheet } from './components/QrSheet.js';
import { scanText } from './state/scan-text.js';
import type { StationState } from './state/station-store.js';

const SOUND_KEY = 'benchline.sound';
const NOTICE_MS = 6000;

type Overlay =
  | { kind: 'details'; serial: string }
  | { kind: 'help' }
  | { kind: 'open-shift' }
  | { kind: 'shift-schedule' }
  | { kind: 'close-shift' }
  /** The floor panel; its packing tab is packing mode: every scan goes into the unit. */
  | { kind: 'floor'; tab: FloorTab }
  | { kind: 'slots' }
  | { kind: 'qr-sheet'; qr: QrProvisioning; blueprint: string | null }
  | null;

function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

function storedSound(): boolean {
  try {
    return window.localStorage.getItem(SOUND_KEY) !== '0';
  } catch {
    return true;
  }
}

function findDevice(state: StationState, code: string): DeviceView | undefined {
  const wanted = code.trim().toUpperCase();
  const exact = state.devices.get(code.trim());
  if (exact) return exact;
  for (const d of state.devices.values()) if (d.serial.toUpperCase() === wanted) return d;
  for (const d of state.devices.values()) if (d.name?.toUpperCase() === wanted) return d;
  return undefined;
}

/** The tile above or below `from`: the nearest row in that direction, then the nearest column. */
function verticalNeighbour(tiles: HTMLElement[], from: HTMLElement, down: boolean): HTMLElement | undefined {
  const r = from.getBoundingClientRect();
  const cx = r.left + r.width / 2;
  let best: HTMLElement | undefined;
  let bestScore = Infinity;
  for (const el of tiles) {
    if (el === from) continue;
    const o = el.getBoundingClientRect();
    const dy = down ? o.top - r.top : r.top - o.top;
    if (dy < r.height / 2) continue;
    const score = dy * 4 + Math.abs(o.left + o.width / 2 - cx);
    if (score < bestScore) {
      bestScore = score;
      best = el;
    }
  }
  return best;
}

/** The technician's screen: header, the grid of slots, the drawer and dialogs, keyboard and scanner. */
export function App({ cue }: { cue: CuePlayer }) {
  const { t } = useTranslation();
  const { client, store } = useStation();
  // One slice each, so a device update re-renders the grid's tiles, not the whole screen.
  const connection = useStationState((s) => s.connection);
  const live = useStationState((s) => s.live);
  const loaded = useStationState((s) => s.loaded);
  const station = useStationState((s) => s.station);
  const shift = useStationState((s) => s.shift);
  const stats = useStationState((s) => s.stats);
  const hub = useStationState((s) => s.hub);
  const floor = useStationState((s) => s.floor);
  const attentionCount = useStationState((s) => s.attention.length);
  const [focused, setFocused] = useState<string | null>(null);
  const [focusRequest, setFocusRequest] = useState<{ serial: string } | null>(null);
  const [overlay, setOverlay] = useState<Overlay>(null);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [sound, setSound] = useState(storedSound);
  const [simOpen, setSimOpen] = useState(storedSimulatorOpen);
  const noticeId = useRef(0);

  const notify = useCallback((tone: Notice['tone'], text: string) => {
    const id = ++noticeId.current;
    setNotices((list) => [...list.slice(-3), { id, tone, text }]);
    setTimeout(() => setNotices((list) => list.filter((n) => n.id !== id)), NOTICE_MS);
  }, []);

  const describe = useCallback(
    (err: unknown) =>
      err instanceof TransportError && err.code === 'disconnected' ? t('notice.disconnected') : err instanceof Error ? err.message : String(err),
    [t],
  );

  // ---- packing mode ----------------------------------------------------------------------------
  const onOtherScan = useCallback(
    (r: Parameters<typeof scanText>[1]) => {
      const said = scanText(t, r);
      if (said) notify(said.tone, said.text);
    },
    [notify, t],
  );
  const packing = usePacking({ notify, cue, onOtherScan });
  const packingMode = overlay?.kind === 'floor' && overlay.tab === 'pack';

  // ---- sound cue ----------------------------------------------------------------------------
  useEffect(() => {
    cue.setEnabled(sound);
    try {
      window.localStorage.setItem(SOUND_KEY, sound ? '1' : '0');
    } catch {
      // Not remembered.
    }
  }, [cue, sound]);
  useEffect(() => store.onCue((kind) => cue.play(kind)), [store, cue]);

  // ---- title shows how many devices need the technician -------------------------------------
  useEffect(() => {
    document.title = attentionCount > 0 ? t('app.titleAttention', { count: attentionCount }) : (station?.name ?? t('app.title'));
  }, [attentionCount, station?.name, t]);

  // ---- focus --------------------------------------------------------------------------------
  const focusDevice = useCallback((serial: string) => {
    setFocused(serial);
    setFocusRequest({ serial });
  }, []);

  useEffect(() => {
    if (!focusRequest) return;
    const el = document.querySelector<HTMLElement>(`[data-serial="${CSS.escape(focusRequest.serial)}"]`);
    if (!el) return;
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [focusRequest]);

  const onSelect = useCallback((serial: string) => setFocused(serial), []);

  // ---- actions ------------------------------------------------------------------------------
  const runAction = useCallback(
    async (action: TileAction, device: DeviceView) => {
      if (action === 'details') {
        setFocused(device.serial);
        setOverlay({ kind: 'details', serial: device.serial });
        return;
      }
      if (action === 'qrSheet') {
        // The sheet keeps the payload it opened with: it stays printable once this tablet moves on.
        const qr = qrProvisioningOf(device);
        if (qr) setOverlay({ kind: 'qr-sheet', qr, blueprint: device.blueprint });
        return;
      }
      if (action === 'newDevice') {
        const portPath = reidentifiablePort(device);
        if (!portPath) return;
        try {
          await client.api.reidentifyPort({ portPath });
          notify('info', t('notice.newDevice', { slot: device.slot ?? portPath }));
        } catch (err) {
          notify('error', t('notice.actionFailed', { action: t('action.newDevice'), message: describe(err) }));
        }
        return;
      }
      const runId = device.runId;
      if (!runId) return;
      try {
        if (action === 'retry') await client.api.retryRun({ runId });
        else if (action === 'skip') await client.api.skipStep({ runId });
        else if (action === 'cancel') await client.api.cancelRun({ runId });
        else if (action === 'confirm') {
          await client.api.confirmStep({ runId });
          notify('info', t('notice.confirmed', { slot: device.slot ?? '', step: labelText(device.stepLabel, currentLanguage()) }));
        }
      } catch (err) {
        notify('error', t('notice.actionFailed', { action: t(`action.${action}`), message: describe(err) }));
      }
    },
    [client, notify, describe, t],
  );

  // Handlers read the store when they run: what is on screen now, without re-rendering for it.
  const onScan = (code: string) => {
    if (isNewDeviceCode(code)) {
      const target = focused ? store.getState().devices.get(focused) : undefined;
      if (target && reidentifiablePort(target)) void runAction('newDevice', target);
      else notify('error', t('notice.newDeviceNoTile'));
      return;
    }
    // Packing mode: every scan goes to the unit, never to a tile behind the panel.
    if (packingMode) {
      void packing.scan(code);
      return;
    }
    const device = findDevice(store.getState(), code);
    if (device) {
      if (focused === device.serial && waitsForTechnician(device)) {
        void runAction('confirm', device);
        return;
      }
      // A device scan goes to its tile: whatever panel was open gives way.
      if (overlay) setOverlay(null);
      focusDevice(device.serial);
      return;
    }
    // Not on the grid: the station says what it is. A unit label opens it for packing, an order
    // becomes the batch (and starts the devices waiting for one), a badge signs its operator in.
    client.api.scanCode({ code: code.trim() }).then(
      (r) => {
        if (r.kind === 'unit') {
          packing.begin(r.unit);
          setOverlay({ kind: 'floor', tab: 'pack' });
        } else onOtherScan(r);
      },
      (err: unknown) => notify('error', t('notice.actionFailed', { action: t('notice.scan', { code }), message: describe(err) })),
    );
  };

  const nextAttention = () => {
    const list = store.getState().attention;
    if (list.length === 0) return;
    const at = focused ? list.indexOf(focused) : -1;
    focusDevice(list[(at + 1) % list.length]!);
  };

  const move = (key: string) => {
    const tiles = [...document.querySelectorAll<HTMLElement>('.tile[data-serial]')];
    if (tiles.length === 0) return;
    const index = tiles.findIndex((el) => el.dataset.serial === focused);
    let target: HTMLElement | undefined;
    if (index < 0 || key === 'Home') target = tiles[0];
    else if (key === 'End') target = tiles[tiles.length - 1];
    else if (key === 'ArrowRight') target = tiles[Math.min(tiles.length - 1, index + 1)];
    else if (key === 'ArrowLeft') target = tiles[Math.max(0, index - 1)];
    else target = verticalNeighbour(tiles, tiles[index]!, key === 'ArrowDown') ?? tiles[index];
    if (target?.dataset.serial) focusDevice(target.dataset.serial);
  };

  const onKey = (key: string): boolean => {
    if (overlay) {
      // Focus may have left the dialog (its button vanished when the run moved on): Esc still closes it.
      if (key !== 'Escape') return false;
      setOverlay(null);
      return true;
    }
    const device = focused ? store.getState().devices.get(focused) : undefined;
    switch (key) {
      case 'ArrowRight':
      case 'ArrowLeft':
      case 'ArrowUp':
      case 'ArrowDown':
      case 'Home':
      case 'End':
        move(key);
        return true;
      case 'Enter': {
        const active = document.activeElement;
        if (!device || !(active instanceof HTMLElement) || active.dataset.serial !== device.serial) return false;
        void runAction(waitsForTechnician(device) ? 'confirm' : 'details', device);
        return true;
      }
      case 'r':
      case 'R':
        if (device?.state === 'failed') void runAction('retry', device);
        return true;
      case 's':
      case 'S':
        if (device?.state === 'failed') void runAction('skip', device);
        return true;
      case 'd':
      case 'D':
        if (device) void runAction('details', device);
        return true;
      case 'n':
      case 'N':
        nextAttention();
        return true;
      case 'p':
      case 'P':
        setOverlay({ kind: 'floor', tab: 'pack' });
        return true;
      case 'e':
      case 'E':
        setOverlay({ kind: 'floor', tab: 'export' });
        return true;
      case '?':
        setOverlay({ kind: 'help' });
        return true;
      case '/':
        document.getElementById('find-input')?.focus();
        return true;
      default:
        return false;
    }
  };

  // The scanner is the keyboard: every key of the page goes through one KeyStream, which always
  // calls the handlers of the latest render.
  const onStreamScan = useEffectEvent(onScan);
  const onStreamKey = useEffectEvent(onKey);
  useEffect(() => {
    const stream = new KeyStream({ onScan: (code) => onStreamScan(code), onKey: (key) => onStreamKey(key) }, { maxGapMs: 100 });
    const listener = (e: KeyboardEvent) => {
      // Keys typed into a field are the field's, unless a scan began outside it: focus that moves
      // in the middle of a scan (a panel taking it) must not split the scan in two.
      if (e.defaultPrevented || (isTextField(e.target) && !stream.inBurst(e.timeStamp))) return;
      if (stream.handle(e, e.timeStamp)) e.preventDefault();
    };
    window.addEventListener('keydown', listener);
    return () => {
      window.removeEventListener('keydown', listener);
      stream.dispose();
    };
  }, []);

  // ---- shift and simulator ------------------------------------------------------------------
  const openShift = useCallback(
    async (entries: SignInEntry[]) => {
      try {
        // Names alone open (or join) the shift; a badge goes through sign-in, which registers it
        // for the name once (UX.md: afterwards the badge alone signs in).
        const names = entries.filter((e) => !e.badge && e.name).map((e) => e.name!);
        if (names.length > 0) await client.api.openShift({ operators: names });
        const operators = [...names];
        for (const e of entries) {
          if (!e.badge) continue;
          const r = await client.api.signIn(e.name ? { name: e.name, badge: e.badge } : { badge: e.badge });
          operators.push(r.operator);
        }
        notify('info', t('shift.opened', { names: operators.join(', ') }));
        return true;
      } catch (err) {
        notify('error', t('notice.actionFailed', { action: t('shift.open'), message: describe(err) }));
        return false;
      }
    },
    [client, notify, describe, t],
  );
  const closeShift = useCallback(async () => {
    const id = store.getState().shift?.id;
    if (!id) return true;
    try {
      await client.api.closeShift({ shiftId: id });
      notify('info', t('shift.closed'));
      return true;
    } catch (err) {
      notify('error', t('notice.actionFailed', { action: t('shift.close'), message: describe(err) }));
      return false;
    }
  }, [client, store, notify, describe, t]);

  const simCall = useCallback(
    async (label: string, call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (err) {
        notify('error', t('notice.actionFailed', { action: label, message: describe(err) }));
      }
    },
    [notify, describe, t],
  );

  // For buttons: runAction reports its own failures as notices.
  const onAction = useCallback((action: TileAction, device: DeviceView) => void runAction(action, device), [runAction]);

  const closeOverlay = useCallback(() => setOverlay(null), []);
  const drawerDevice = useStationState((s) => (overlay?.kind === 'details' ? s.devices.get(overlay.serial) : undefined));
  // The device whose details are open left the station: the drawer closes for good (adjusted while
  // rendering, so it does not flash), and a device that comes back later does not reopen it.
  if (overlay?.kind === 'details' && !drawerDevice) setOverlay(null);

  const selected = useStationState((s) => (focused ? s.devices.get(focused) : undefined));

  return (
    <div className={`app${live ? '' : ' app--stale'}`}>
      <Header
        stationName={station?.name ?? null}
        connection={connection}
        live={live}
        hub={hub}
        shift={shift}
        stats={stats}
        floor={floor}
        attention={live ? attentionCount : 0}
        sound={sound}
        onSound={setSound}
        onHelp={() => setOverlay({ kind: 'help' })}
        onNextAttention={nextAttention}
        onFind={(code) => {
          onScan(code);
        }}
        onOpenShift={() => setOverlay({ kind: 'open-shift' })}
        onCloseShift={() => setOverlay({ kind: 'close-shift' })}
        onShiftSchedule={() => setOverlay({ kind: 'shift-schedule' })}
        onBatch={() => setOverlay({ kind: 'floor', tab: 'orders' })}
        tools={
          <>
            <SlotsButton onOpen={() => setOverlay({ kind: 'slots' })} />
            <FloorButton onOpen={() => setOverlay({ kind: 'floor', tab: 'orders' })} />
            {station?.simulator ? (
              <SimulatorToggle
                open={simOpen}
                onToggle={() => {
                  storeSimulatorOpen(!simOpen);
                  setSimOpen(!simOpen);
                }}
              />
            ) : null}
          </>
        }
      />

      {connection === 'no-token' ? (
        <div className="banner banner--error" role="alert">
          <strong>{t('connection.noTokenTitle')}</strong>
          <span>{t('connection.noTokenBody')}</span>
        </div>
      ) : !loaded ? (
        <div className="banner" role="status">
          <strong>{t('connection.connectingTitle')}</strong>
        </div>
      ) : !live ? (
        <div className="banner banner--warn" role="alert" data-testid="reconnecting">
          <strong>{t('connection.lostTitle')}</strong>
          <span>{t('connection.lostBody')}</span>
        </div>
      ) : null}

      <main className="main">
        {loaded ? <LiveGrid focusedSerial={focused} live={live} simulator={station?.simulator ?? false} onAction={onAction} onSelect={onSelect} /> : null}
      </main>

      {station?.simulator && simOpen ? (
        <SimulatorPanel
          selected={selected}
          live={live}
          onPlug={(count, failAt) =>
            void simCall(t('sim.plug'), async () => {
              const { serials } = await client.api.plugSimulated(failAt ? { count, failAt } : { count });
              notify('info', t('notice.plugged', { count: serials.length }));
            })
          }
          onUnplug={(serial) => void simCall(t('sim.unplug'), () => client.api.unplugSimulated({ serial }))}
          onReplug={(serial) => void simCall(t('sim.replug'), () => client.api.replugSimulated({ serial }))}
        />
      ) : null}

      <Notices notices={notices} onDismiss={(id) => setNotices((list) => list.filter((n) => n.id !== id))} />

      {overlay?.kind === 'details' && drawerDevice ? <DetailDrawer device={drawerDevice} live={live} onClose={closeOverlay} onAction={onAction} /> : null}
      {overlay?.kind === 'help' ? <HelpOverlay onClose={closeOverlay} /> : null}
      {overlay?.kind === 'slots' ? <SlotLayoutDialog onClose={closeOverlay} /> : null}
      {overlay?.kind === 'qr-sheet' ? <QrSheet qr={overlay.qr} blueprint={overlay.blueprint} onClose={closeOverlay} /> : null}
      {overlay?.kind === 'floor' ? (
        <FloorPanel onClose={closeOverlay} notify={notify} tab={overlay.tab} onTab={(tab) => setOverlay({ kind: 'floor', tab })} packing={packing} />
      ) : null}
      {overlay?.kind === 'open-shift' ? <OpenShiftDialog shift={shift} onSubmit={openShift} onClose={closeOverlay} /> : null}
      {overlay?.kind === 'shift-schedule' ? <ShiftScheduleDialog onClose={closeOverlay} notify={notify} /> : null}
      {overlay?.kind === 'close-shift' ? <CloseShiftDialog stats={stats} onConfirm={closeShift} onClose={closeOverlay} /> : null}
    </div>
  );
}
