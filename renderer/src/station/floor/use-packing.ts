import { useCallback, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PackResult, ScanResult, UnitView } from '../../../../shared/contract/floor-api.js';
import type { CuePlayer } from '../../common/cue.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { messageText } from '../../common/i18n/messages.js';
import { useStation } from '../state/context.js';
import { errorText, type Say } from './floor-feedback.js';

/** What the last scan did, shown beside the unit; a device in another unit can be taken out of it. */
export interface PackingOutcome {
  tone: 'info' | 'error';
  text: string;
  /** The refused device lies in this other unit: the technician may take it out there. */
  otherUnit?: { unitId: string; serial: string };
}

/**
 * Packing as a mode: one unit is being packed, and every scanned device goes into it (with a sound
 * and the count) until the unit is closed or another unit label is scanned. Scanning the unit's own
 * label again closes it. With no open unit, the first finished device scanned starts a new one.
 */
export interface Packing {
  /** The unit being packed, or the one just closed (shown until the next begins); null: none yet. */
  unit: UnitView | null;
  result: PackingOutcome | null;
  /** Bumped after every change, so views re-read the unit's items. */
  version: number;
  /** Packs `code` (a device), or switches to or closes a unit, or creates one from a first device. */
  scan(code: string, kind?: UnitView['kind']): Promise<void>;
  choose(unitId: string | null): Promise<void>;
  /** A unit label scanned elsewhere (the grid): that unit is packed now. */
  begin(unit: UnitView): void;
  create(p: { kind: UnitView['kind']; school?: string; fromSerial?: string }): Promise<boolean>;
  close(): Promise<boolean>;
  reopen(reason: string): Promise<boolean>;
  /** Takes a device out of a unit (this one or the one a refusal named), with the technician's reason. */
  takeOut(unitId: string, serial: string, reason: string): Promise<boolean>;
}

export interface PackingDeps {
  notify: Say;
  cue: CuePlayer;
  /** A scan that meant something other than packing (an order, a badge, an unknown code): the app says what happened. */
  onOtherScan: (result: ScanResult) => void;
}

export function usePacking({ notify, cue, onOtherScan }: PackingDeps): Packing {
  const { t } = useTranslation();
  const { client } = useStation();
  const [unit, setUnitState] = useState<UnitView | null>(null);
  const [result, setResult] = useState<PackingOutcome | null>(null);
  const [version, setVersion] = useState(0);
  // Scans arrive faster than answers: they are handled one after another, each seeing the unit the last one left.
  const current = useRef<UnitView | null>(null);
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  const setUnit = useCallback((next: UnitView | null) => {
    current.current = next;
    setUnitState(next);
    setVersion((v) => v + 1);
  }, []);

  const say = useCallback(
    (outcome: PackingOutcome, accepted: boolean) => {
      setResult(outcome);
      cue.acknowledge(accepted);
      if (!accepted) notify('error', outcome.text);
    },
    [cue, notify],
  );

  const packed = useCallback(
    (serial: string, r: PackResult) => {
      if (r.ok) {
        setUnit(r.unit);
        say({ tone: 'info', text: t(r.already ? 'floor.pack.already' : 'floor.pack.packed', { serial, unit: r.unit.id }) }, true);
        return;
      }
      // A refusal in the technician's language; a station without catalogue messages sent its own words.
      const text = (r.text && messageText(t, currentLanguage(), r.text)) ?? r.message;
      const other = r.code === 'in_other_unit' ? r.text?.params?.unitId : undefined;
      say({ tone: 'error', text, ...(typeof other === 'string' ? { otherUnit: { unitId: other, serial } } : {}) }, false);
      setVersion((v) => v + 1);
    },
    [say, setUnit, t],
  );

  /** Runs one step after the ones before it; a failure is said, and the queue goes on. */
  const enqueue = useCallback(
    <T>(step: () => Promise<T>): Promise<T | undefined> => {
      const run = queue.current.then(step).catch((err: unknown) => {
        say({ tone: 'error', text: errorText(err) }, false);
        return undefined;
      });
      queue.current = run;
      return run;
    },
    [say],
  );

  const create = useCallback(
    (p: { kind: UnitView['kind']; school?: string; fromSerial?: string }) =>
      enqueue(async () => {
        const created = await client.api.createUnit(p);
        setUnit(created);
        say({ tone: 'info', text: t('floor.pack.created', { unit: created.id, count: created.count }) }, true);
        return true;
      }).then((ok) => ok === true),
    [client, enqueue, say, setUnit, t],
  );

  const closeNow = useCallback(async (): Promise<boolean> => {
    const open = current.current;
    if (!open || open.state !== 'open') return false;
    const closed = await client.api.closeUnit({ unitId: open.id });
    setUnit(closed);
    say({ tone: 'info', text: t('floor.pack.closedNow', { unit: closed.id, count: closed.count }) }, true);
    return true;
  }, [client, say, setUnit, t]);

  const begin = useCallback(
    (next: UnitView) => {
      setUnit(next);
      setResult({ tone: 'info', text: t(next.state === 'open' ? 'floor.pack.opened' : 'floor.pack.openedClosed', { unit: next.id, count: next.count }) });
    },
    [setUnit, t],
  );

  const scan = useCallback(
    (code: string, kind: UnitView['kind'] = 'box') =>
      enqueue(async () => {
        const open = current.current?.state === 'open' ? current.current : null;
        const r = await client.api.scanCode(open ? { code, packInto: open.id } : { code });
        switch (r.kind) {
          case 'unit':
            // The unit's own label again: the box is full, close it. Another label: pack that one now.
            if (open && r.unit.id === open.id) await closeNow();
            else {
              begin(r.unit);
              cue.acknowledge(true);
            }
            return;
          case 'packed':
            packed(r.serial, r.result);
            return;
          case 'device': {
            // No open unit: the first finished device scanned starts the next one.
            const created = await client.api.createUnit({ kind, fromSerial: r.serial });
            setUnit(created);
            say({ tone: 'info', text: t('floor.pack.created', { unit: created.id, count: created.count }) }, true);
            return;
          }
          default:
            onOtherScan(r);
        }
      }).then(() => undefined),
    [begin, client, closeNow, cue, enqueue, onOtherScan, packed, say, setUnit, t],
  );

  const choose = useCallback(
    (unitId: string | null) =>
      enqueue(async () => {
        setUnit(unitId ? (await client.api.unitDetail({ unitId })).unit : null);
        setResult(null);
      }).then(() => undefined),
    [client, enqueue, setUnit],
  );

  const close = useCallback(() => enqueue(closeNow).then((ok) => ok === true), [closeNow, enqueue]);

  const reopen = useCallback(
    (reason: string) =>
      enqueue(async () => {
        const open = current.current;
        if (!open) return false;
        setUnit(await client.api.reopenUnit({ unitId: open.id, reason }));
        setResult(null);
        return true;
      }).then((ok) => ok === true),
    [client, enqueue, setUnit],
  );

  const takeOut = useCallback(
    (unitId: string, serial: string, reason: string) =>
      enqueue(async () => {
        const after = await client.api.unpackDevice({ unitId, serial, reason });
        if (after.id === current.current?.id) setUnit(after);
        else setVersion((v) => v + 1);
        say({ tone: 'info', text: t('floor.pack.takenOut', { serial, unit: unitId }) }, true);
        return true;
      }).then((ok) => ok === true),
    [client, enqueue, say, setUnit, t],
  );

  return useMemo(
    () => ({ unit, result, version, scan, choose, begin, create, close, reopen, takeOut }),
    [unit, result, version, scan, choose, begin, create, close, reopen, takeOut],
  );
}
