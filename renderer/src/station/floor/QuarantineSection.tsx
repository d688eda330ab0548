import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLanguage } from '../../common/i18n/index.js';
import { messageText } from '../../common/i18n/messages.js';
import { formatDateTime } from '../../common/format.js';
import { useStation } from '../state/context.js';
import { attempt, errorText, type Say } from './floor-feedback.js';
import { useStationQuery } from './use-station-query.js';

/** Set a device aside with a reason (it leaves the pipeline), see the quarantine / return list, release one. */
export function QuarantineSection({ notify }: { notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const list = useStationQuery((api) => api.listQuarantine({ includeReleased: false }), { initial: [], onError: (err) => notify('error', errorText(err)) });
  const [serial, setSerial] = useState('');
  const [reason, setReason] = useState('');
  const add = (e: FormEvent) => {
    e.preventDefault();
    const s = serial.trim();
    void attempt(notify, () => client.api.quarantineDevice({ serial: s, reason: reason.trim() }), t('floor.quarantine.added', { serial: s })).then((ok) => {
      if (!ok) return;
      setSerial('');
      setReason('');
      list.reload();
    });
  };
  return (
    <section className="drawer__section" data-testid="quarantine">
      <h3>{t('floor.quarantine.title')}</h3>
      <form className="field-row" onSubmit={add}>
        <input
          className="input"
          value={serial}
          onChange={(e) => setSerial(e.target.value)}
          placeholder={t('floor.quarantine.serial')}
          aria-label={t('floor.quarantine.serial')}
          autoComplete="off"
          spellCheck={false}
        />
        <input
          className="input"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t('floor.quarantine.reason')}
          aria-label={t('floor.quarantine.reason')}
        />
        <button type="submit" className="btn btn--danger" disabled={!serial.trim() || reason.trim().length < 3}>
          {t('floor.quarantine.add')}
        </button>
      </form>
      {list.data.length === 0 ? <p className="muted">{t('floor.quarantine.empty')}</p> : null}
      <ul className="floor-items">
        {list.data.map((q) => (
          <li key={q.serial}>
            <strong>{q.serial}</strong> <span className="muted">{formatDateTime(q.at, currentLanguage())}</span>
            {` – ${(q.reasonText && messageText(t, currentLanguage(), q.reasonText)) || q.reason}${q.school ? ` (${q.school})` : ''} `}
            <button
              type="button"
              className="btn btn--small btn--quiet"
              onClick={() =>
                void attempt(notify, () => client.api.releaseQuarantine({ serial: q.serial, note: t('floor.quarantine.releaseNote') })).then(
                  (ok) => ok && list.reload(),
                )
              }
            >
              {t('floor.quarantine.release')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
