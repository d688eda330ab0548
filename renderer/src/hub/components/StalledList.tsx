import { useTranslation } from 'react-i18next';
import type { StalledRun } from '../../../../shared/contract/hub-api.js';
import { formatTime } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { causeWords, stateWord } from '../words.js';

/** The hub sends at most this many stalled runs (main/hub/dashboard/floor-queries.ts). */
const LIST_MAX = 100;

/** "Hängen fest": every run left unmoved for the stall time, with station and slot, longest first. */
export function StalledList({ runs, stallMinutes }: { runs: StalledRun[]; stallMinutes: number }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  return (
    <section className="panel" id="stalled" aria-labelledby="stalled-title" data-testid="stalled-list">
      <h2 id="stalled-title">{t('stalled.title', { minutes: stallMinutes })}</h2>
      {runs.length === 0 ? (
        <p className="muted">{t('stalled.none')}</p>
      ) : (
        <div className="orders__scroll">
          <table className="orders">
            <thead>
              <tr>
                <th scope="col">{t('stalled.station')}</th>
                <th scope="col">{t('stalled.slot')}</th>
                <th scope="col">{t('stalled.device')}</th>
                <th scope="col">{t('stalled.state')}</th>
                <th scope="col">{t('stalled.reason')}</th>
                <th scope="col">{t('stalled.operator')}</th>
                <th scope="col">{t('stalled.since')}</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={`${r.stationId ?? r.station}|${r.runId}`} data-testid="stalled-row" className={r.online ? undefined : 'stalled--offline'}>
                  <th scope="row">
                    {r.station}
                    {!r.online && (
                      <>
                        <br />
                        <span className="muted">{t('stalled.offline')}</span>
                      </>
                    )}
                  </th>
                  <td data-testid="stalled-slot">{r.slot ?? '–'}</td>
                  <td>{r.serial}</td>
                  <td>{stateWord(t, r.state)}</td>
                  <td>
                    {r.step}
                    {(r.errorCode || r.errorMessage) && <> · {causeWords(t, lang, { text: r.text, message: r.errorMessage, reason: r.errorCode })}</>}
                  </td>
                  <td>{r.operator ?? ''}</td>
                  <td>{formatTime(r.since, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {runs.length >= LIST_MAX && <p className="muted">{t('stalled.more', { count: LIST_MAX })}</p>}
        </div>
      )}
    </section>
  );
}
