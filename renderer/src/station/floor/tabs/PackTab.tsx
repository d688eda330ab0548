import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLanguage } from '../../../common/i18n/index.js';
import { messageText } from '../../../common/i18n/messages.js';
import { useStation } from '../../state/context.js';
import { attempt, errorText, saveFile, type Say } from '../floor-feedback.js';
import { useStationQuery } from '../use-station-query.js';

/** Packing units (boxes, carts): create one, scan devices into it, close or reopen it, its label and manifest. */
export function PackTab({ notify, initialUnit }: { notify: Say; initialUnit?: string | undefined }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const onError = (err: unknown) => notify('error', errorText(err));
  const [unitId, setUnitId] = useState<string | null>(initialUnit ?? null);
  const units = useStationQuery((api) => api.listUnits({ state: 'open' }), { initial: [], onError });
  const detail = useStationQuery((api) => (unitId ? api.unitDetail({ unitId }) : Promise.resolve(null)), { initial: null, key: unitId, onError });
  const [kind, setKind] = useState<'box' | 'cart'>('box');
  const [school, setSchool] = useState('');
  const [first, setFirst] = useState('');
  const [scan, setScan] = useState('');
  const [result, setResult] = useState<{ tone: 'info' | 'error'; text: string } | null>(null);
  const [reason, setReason] = useState('');
  const unit = detail.data?.unit ?? null;
  const items = detail.data?.items ?? [];

  // A unit label scanned while the panel is open opens that unit (adjusted while rendering, the
  // way React recommends for state that follows a prop).
  const [scannedUnit, setScannedUnit] = useState(initialUnit);
  if (initialUnit !== scannedUnit) {
    setScannedUnit(initialUnit);
    if (initialUnit) setUnitId(initialUnit);
  }

  /** Shows `id` and reads the open units again; the same unit is read again too. */
  const open = (id: string) => {
    units.reload();
    if (id === unitId) detail.reload();
    else setUnitId(id);
  };

  const create = (e: FormEvent) => {
    e.preventDefault();
    void attempt(notify, async () => {
      const u = await client.api.createUnit({
        kind,
        ...(school.trim() ? { school: school.trim() } : {}),
        ...(first.trim() ? { fromSerial: first.trim() } : {}),
      });
      setSchool('');
      setFirst('');
      open(u.id);
    });
  };

  const pack = (e: FormEvent) => {
    e.preventDefault();
    const serial = scan.trim();
    if (!serial || !unit) return;
    setScan('');
    void attempt(notify, async () => {
      const r = await client.api.packDevice({ unitId: unit.id, serial });
      // A refusal in the technician's language; a station without catalogue messages sent its own words.
      const refusal = r.ok ? '' : ((r.text && messageText(t, currentLanguage(), r.text)) ?? r.message);
      setResult(
        r.ok ? { tone: 'info', text: t(r.already ? 'floor.pack.already' : 'floor.pack.packed', { serial, unit: unit.id }) } : { tone: 'error', text: refusal },
      );
      if (!r.ok) notify('error', refusal);
      open(unit.id);
    });
  };

  const act = (id: string, action: () => Promise<unknown>, done?: string) => attempt(notify, action, done).finally(() => open(id));

  const dl = (id: string, format: 'pdf' | 'csv') =>
    saveFile(
      t,
      notify,
      { kind: 'unitManifest', params: { unitId: id, format } },
      `/api/v1/units/${encodeURIComponent(id)}/manifest?format=${format}`,
      `packliste-${id}.${format}`,
    );

  return (
    <>
      <section className="drawer__section">
        <h3>{t('floor.pack.newUnit')}</h3>
        <form className="field-row" onSubmit={create}>
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as 'box' | 'cart')} aria-label={t('floor.pack.kind')}>
            <option value="box">{t('floor.pack.box')}</option>
            <option value="cart">{t('floor.pack.cart')}</option>
          </select>
          <input
            className="input"
            value={school}
            onChange={(e) => setSchool(e.target.value)}
            placeholder={t('floor.pack.school')}
            aria-label={t('floor.pack.school')}
          />
          <input
            className="input"
            value={first}
            onChange={(e) => setFirst(e.target.value)}
            placeholder={t('floor.pack.orFirst')}
            aria-label={t('floor.pack.orFirst')}
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" className="btn btn--primary" disabled={!school.trim() && !first.trim()}>
            {t('floor.pack.create')}
          </button>
        </form>
        {units.data.length ? (
          <div className="field-row" aria-label={t('floor.pack.openUnits')}>
            {units.data.map((u) => (
              <button key={u.id} type="button" className={`btn btn--small${unit?.id === u.id ? ' btn--primary' : ''}`} onClick={() => open(u.id)}>
                {u.id} · {u.school} · {u.count}
              </button>
            ))}
          </div>
        ) : null}
      </section>

      <section className="drawer__section" data-testid="unit">
        {unit ? (
          <>
            <h3>
              {t('floor.pack.unit')} <span data-testid="unit-id">{unit.id}</span> · {unit.school} · {t('floor.pack.count', { count: unit.count })}
              {unit.state === 'closed' ? ` · ${t('floor.pack.closed')}` : ''}
            </h3>
            {unit.state === 'open' ? (
              <form className="field-row" onSubmit={pack}>
                <input
                  className="input"
                  value={scan}
                  onChange={(e) => setScan(e.target.value)}
                  aria-label={t('floor.pack.scan')}
                  placeholder={t('floor.pack.scan')}
                  autoComplete="off"
                  spellCheck={false}
                  data-autofocus
                />
              </form>
            ) : null}
            {result ? (
              <p
                className={result.tone === 'error' ? 'drawer__error' : undefined}
                role={result.tone === 'error' ? 'alert' : 'status'}
                data-testid="pack-result"
              >
                {result.text}
              </p>
            ) : null}
            <ul className="floor-items" data-testid="unit-items">
              {items.map((i) => (
                <li key={i.serial}>
                  {i.serial}
                  {i.deviceName ? ` – ${i.deviceName}` : ''}
                </li>
              ))}
            </ul>
            <div className="field-row">
              {unit.state === 'open' ? (
                <button
                  type="button"
                  className="btn"
                  disabled={unit.count === 0}
                  onClick={() => void act(unit.id, () => client.api.closeUnit({ unitId: unit.id }))}
                >
                  {t('floor.pack.closeUnit')}
                </button>
              ) : (
                <>
                  <input
                    className="input"
                    value={reason}
                    onChange={(e) => setReason(e.target.value)}
                    placeholder={t('floor.pack.reason')}
                    aria-label={t('floor.pack.reason')}
                  />
                  <button
                    type="button"
                    className="btn"
                    disabled={reason.trim().length < 3}
                    onClick={() => void act(unit.id, () => client.api.reopenUnit({ unitId: unit.id, reason: reason.trim() })).then(() => setReason(''))}
                  >
                    {t('floor.pack.reopen')}
                  </button>
                </>
              )}
              <button
                type="button"
                className="btn"
                onClick={() => void act(unit.id, () => client.api.printUnitLabel({ unitId: unit.id }), t('floor.pack.labelPrinted', { unit: unit.id }))}
              >
                {t('floor.pack.label')}
              </button>
              <button type="button" className="btn btn--quiet" onClick={() => dl(unit.id, 'pdf')}>
                {t('floor.pack.manifestPdf')}
              </button>
              <button type="button" className="btn btn--quiet" onClick={() => dl(unit.id, 'csv')}>
                {t('floor.pack.manifestCsv')}
              </button>
            </div>
          </>
        ) : (
          <p className="muted">{t('floor.pack.none')}</p>
        )}
      </section>
    </>
  );
}
