import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SlotRun, StationShift, StationSlots, StationTile } from '../../../../shared/contract/hub-api.js';
import { Icon, type IconName } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';
import { formatNumber, formatTime } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { downloadShiftExport, fetchStationShifts, fetchStationSlots, type ExportKind } from '../hub-client.js';
import { causeWords, lastSeenWords, stateWord } from '../words.js';

const STATE_ICONS: Record<string, IconName> = {
  queued: 'queued',
  running: 'running',
  waiting: 'waiting',
  interrupted: 'interrupted',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

function SlotRow({ run }: { run: SlotRun }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const error = run.errorCode || run.errorMessage ? causeWords(t, lang, { text: run.text, message: run.errorMessage, reason: run.errorCode }) : '';
  return (
    <tr data-testid="slot-row" data-slot={run.slot ?? ''} data-state={run.state}>
      <th scope="row">{run.slot ?? t('drill.noSlot')}</th>
      <td>
        {run.deviceName ?? run.serial}
        {run.deviceName && <span className="muted"> · {run.serial}</span>}
        {run.model && (
          <>
            <br />
            <span className="muted">{run.model}</span>
          </>
        )}
      </td>
      <td>
        <span className={`state state--${run.state}`}>
          <Icon name={STATE_ICONS[run.state] ?? 'idle'} size={16} /> {stateWord(t, run.state)}
        </span>
      </td>
      <td>{run.failedStep ?? run.step ?? ''}</td>
      <td className="drill__error">{error}</td>
      <td>{run.operator ?? ''}</td>
      <td>{formatTime(run.since, lang)}</td>
    </tr>
  );
}

function ShiftExports({ token, stationId, shifts }: { token: string; stationId: string; shifts: StationShift[] }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const [status, setStatus] = useState<string | null>(null);
  const download = async (shiftId: string, kind: ExportKind) => {
    setStatus(t('export.busy'));
    try {
      const file = await downloadShiftExport(token, stationId, shiftId, kind, lang);
      setStatus(t('export.done', { file }));
    } catch (err) {
      setStatus(t('export.failed', { message: (err as Error).message }));
    }
  };
  if (shifts.length === 0) return <p className="muted">{t('export.none')}</p>;
  return (
    <>
      <table className="drill__table">
        <thead>
          <tr>
            <th scope="col">{t('export.shift')}</th>
            <th scope="col">{t('export.opened')}</th>
            <th scope="col" className="num">
              {t('export.runs')}
            </th>
            <th scope="col">
              <span className="visually-hidden">{t('export.title')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shifts.map((s) => (
            <tr key={s.shiftId} data-testid="export-shift" data-shift={s.shiftId}>
              <th scope="row">
                {s.shiftId}
                {s.closedAt === null && <span className="muted"> ({t('export.open')})</span>}
              </th>
              <td>{new Date(s.openedAt).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' })}</td>
              <td className="num">{formatNumber(s.runs, lang)}</td>
              <td className="drill__exports">
                <button
                  className="btn btn--small"
                  type="button"
                  aria-label={t('export.csvLabel', { id: s.shiftId })}
                  onClick={() => void download(s.shiftId, 'csv-excel')}
                >
                  {t('export.csv')}
                </button>
                <button
                  className="btn btn--small"
                  type="button"
                  aria-label={t('export.pdfLabel', { id: s.shiftId })}
                  onClick={() => void download(s.shiftId, 'pdf')}
                >
                  {t('export.pdf')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p role="status" className="muted" data-testid="export-status">
        {status}
      </p>
    </>
  );
}

/**
 * A station's slots, read-only, kept live: fetched again whenever the dashboard's feed shows the
 * station reported (its acknowledged sequence or last-seen time moved). Below them the station's
 * shifts, each exportable in one more click (CSV for Excel, PDF).
 */
export function StationDrawer({ token, tile, serverTime, onClose }: { token: string; tile: StationTile; serverTime: string; onClose: () => void }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const stationId = tile.stationId ?? '';
  const [slots, setSlots] = useState<StationSlots | null>(null);
  const [shifts, setShifts] = useState<StationShift[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    fetchStationSlots(token, stationId)
      .then((s) => {
        if (!current) return;
        setSlots(s);
        setError(null);
      })
      .catch((err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [token, stationId, tile.ackSeq, tile.lastSeen]);

  useEffect(() => {
    let current = true;
    fetchStationShifts(token, stationId)
      .then((s) => current && setShifts(s))
      .catch((err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [token, stationId, tile.shiftId, tile.shiftOpen]);

  return (
    <Modal label={t('drill.title', { name: tile.name })} onClose={onClose} variant="drawer" className="drill">
      <div className="dialog__head drill__head">
        <h2>{t('drill.title', { name: tile.name })}</h2>
        <button className="btn btn--small" type="button" onClick={onClose} data-autofocus>
          <Icon name="close" size={18} /> {t('drill.close')}
        </button>
      </div>
      <div className="drill__body" data-testid="station-drawer">
        <p className={tile.online ? 'muted' : 'station__offline'}>
          {!tile.online && <strong>{t('tile.offlineBanner')} · </strong>}
          {lastSeenWords(t, tile.lastSeen, serverTime)} · {t('drill.readOnly')}
        </p>
        {error && (
          <p className="login__error" role="alert">
            {t('drill.failed', { message: error })}
          </p>
        )}
        {!slots && !error && <p className="muted">{t('drill.loading')}</p>}
        {slots && slots.slots.length === 0 && <p className="muted">{t('drill.empty')}</p>}
        {slots && slots.slots.length > 0 && (
          <table className="drill__table" data-testid="slot-table">
            <caption className="muted">{t('drill.updated', { time: formatTime(slots.serverTime, lang, true) })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('drill.slot')}</th>
                <th scope="col">{t('drill.device')}</th>
                <th scope="col">{t('drill.state')}</th>
                <th scope="col">{t('drill.step')}</th>
                <th scope="col">{t('drill.error')}</th>
                <th scope="col">{t('drill.operator')}</th>
                <th scope="col">{t('drill.since')}</th>
              </tr>
            </thead>
            <tbody>
              {slots.slots.map((run) => (
                <SlotRow key={run.runId} run={run} />
              ))}
            </tbody>
          </table>
        )}
        <section aria-labelledby="export-title" data-testid="station-exports">
          <h3 id="export-title">{t('export.title')}</h3>
          {shifts ? <ShiftExports token={token} stationId={stationId} shifts={shifts} /> : <p className="muted">{t('drill.loading')}</p>}
        </section>
      </div>
    </Modal>
  );
}
