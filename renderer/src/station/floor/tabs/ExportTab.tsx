import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ShiftView } from '../../../../../shared/contract/station-api.js';
import { formatDateTime } from '../../../common/format.js';
import { currentLanguage } from '../../../common/i18n/index.js';
import { errorText, saveFile, type Say } from '../floor-feedback.js';
import { QuarantineSection } from '../QuarantineSection.js';
import { useStationQuery } from '../use-station-query.js';

/** The shift export (CSV, Excel CSV, JSON, PDF) of the current or an earlier shift, the quarantine list, and quarantine itself. */
export function ExportTab({ shift, notify }: { shift: ShiftView | null; notify: Say }) {
  const { t } = useTranslation();
  const shifts = useStationQuery((api) => api.listShifts({}), { initial: [], onError: (err) => notify('error', errorText(err)) });
  const [chosen, setChosen] = useState<string>(shift?.id ?? 'last');
  const language = currentLanguage();
  // A shift by when it began, in the language's format; its id for the record.
  const label = (s: ShiftView) => `${formatDateTime(s.openedAt, language)} · ${s.id}`;
  const go = (format: 'csv' | 'json' | 'pdf', dialect: 'excel-de' | undefined, name: string) =>
    saveFile(
      t,
      notify,
      { kind: 'shiftExport', params: { shiftId: chosen, format, ...(dialect ? { dialect } : {}) } },
      `/api/v1/shifts/${encodeURIComponent(chosen)}/export?format=${format}${dialect ? `&dialect=${dialect}` : ''}`,
      name,
      (text) => t('floor.export.failed', { message: text }),
    );
  return (
    <>
      <section className="drawer__section">
        <label className="field">
          <span className="field__label">{t('floor.export.shift')}</span>
          <select className="input" value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="export-shift">
            {shift ? (
              <option value={shift.id}>{`${label(shift)} (${t('floor.export.current')})`}</option>
            ) : (
              <option value="last">{t('floor.export.last')}</option>
            )}
            {shifts.data
              .filter((s) => s.id !== shift?.id)
              .map((s) => (
                <option key={s.id} value={s.id}>
                  {label(s)}
                </option>
              ))}
          </select>
        </label>
        <div className="field-row">
          {/* First in reach: E opens this tab, Enter saves the shift's CSV. */}
          <button type="button" className="btn" autoFocus data-autofocus onClick={() => go('csv', undefined, `${t('floor.export.fileBase')}.csv`)}>
            {t('floor.export.csv')}
          </button>
          <button type="button" className="btn" onClick={() => go('csv', 'excel-de', `${t('floor.export.fileBase')}-excel.csv`)}>
            {t('floor.export.excel')}
          </button>
          <button type="button" className="btn" onClick={() => go('json', undefined, `${t('floor.export.fileBase')}.json`)}>
            {t('floor.export.json')}
          </button>
          <button type="button" className="btn" onClick={() => go('pdf', undefined, `${t('floor.export.fileBase')}.pdf`)}>
            {t('floor.export.pdf')}
          </button>
        </div>
        <div className="field-row">
          <button
            type="button"
            className="btn btn--quiet"
            onClick={() =>
              saveFile(
                t,
                notify,
                { kind: 'quarantineList', params: { dialect: 'excel-de', all: true } },
                '/api/v1/quarantine?format=csv&dialect=excel-de&all=1',
                'quarantaene.csv',
              )
            }
          >
            {t('floor.export.quarantine')}
          </button>
        </div>
      </section>
      <QuarantineSection notify={notify} />
    </>
  );
}
