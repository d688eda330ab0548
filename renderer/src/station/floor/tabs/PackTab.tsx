import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { UnitView } from '../../../../../shared/contract/floor-api.js';
import { formatDateTime } from '../../../common/format.js';
import { currentLanguage } from '../../../common/i18n/index.js';
import { useStation } from '../../state/context.js';
import { attempt, errorText, saveFile, type Say } from '../floor-feedback.js';
import type { Packing } from '../use-packing.js';
import { useStationQuery } from '../use-station-query.js';

/**
 * Packing units (boxes, carts): create one, scan devices into it, take one out, close or reopen
 * it, its label and manifest. The unit being packed is the app's (packing mode): a scan anywhere
 * while this tab is open packs into it, and focus always sits where the next scan does the right
 * thing: in the unit's scan field while it is open, in "first device" once it is closed.
 */
export function PackTab({ notify, packing }: { notify: Say; packing: Packing }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const language = currentLanguage();
  const onError = (err: unknown) => notify('error', errorText(err));
  const unit = packing.unit;
  const units = useStationQuery((api) => api.listUnits({ state: 'open' }), { initial: [], key: packing.version, onError });
  const detail = useStationQuery((api) => (unit ? api.unitDetail({ unitId: unit.id }) : Promise.resolve(null)), {
    initial: null,
    key: `${unit?.id ?? ''}#${packing.version}`,
    onError,
  });
  const [kind, setKind] = useState<UnitView['kind']>('box');
  const [school, setSchool] = useState('');
  const [first, setFirst] = useState('');
  const [scan, setScan] = useState('');
  const [reason, setReason] = useState('');
  const [takingOut, setTakingOut] = useState<{ unitId: string; serial: string } | null>(null);
  const items = detail.data?.unit.id === unit?.id ? (detail.data?.items ?? []) : [];
  const scanZone = useRef<HTMLElement>(null);

  // The next scan must land where it does the right thing: on the unit's section, where scans go
  // through packing mode one after another (the first device makes the unit, the next go into it).
  // Focus stays there when a unit is made or closed: moved in the middle of a quick scan, it split
  // the scan. Never in "first device": eight quick scans there made eight boxes.
  const open = unit?.state === 'open';
  useEffect(() => {
    if (!takingOut) scanZone.current?.focus();
  }, [open, unit?.id, takingOut]);

  const create = (e: FormEvent) => {
    e.preventDefault();
    const fromSerial = first.trim();
    // Emptied at once: a second Enter (or scan) before the answer does not make a second unit of the same device.
    setFirst('');
    void packing.create({ kind, ...(school.trim() ? { school: school.trim() } : {}), ...(fromSerial ? { fromSerial } : {}) }).then((ok) => {
      if (ok) setSchool('');
      else setFirst(fromSerial);
    });
  };

  const pack = (e: FormEvent) => {
    e.preventDefault();
    const code = scan.trim();
    setScan('');
    if (code) void packing.scan(code, kind);
  };

  const dl = (id: string, format: 'pdf' | 'csv') =>
    saveFile(
      t,
      notify,
      { kind: 'unitManifest', params: { unitId: id, format } },
      `/api/v1/units/${encodeURIComponent(id)}/manifest?format=${format}`,
      `packliste-${id}.${format}`,
    );

  const other = packing.result?.otherUnit;

  return (
    <>
      <section className="drawer__section">
        <h3>{t('floor.pack.newUnit')}</h3>
        <form className="field-row" onSubmit={create}>
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as UnitView['kind'])} aria-label={t('floor.pack.kind')}>
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
          <div className="field-row field-row--wrap" aria-label={t('floor.pack.openUnits')}>
            {units.data.map((u) => (
              <button
                key={u.id}
                type="button"
                className={`btn btn--small${unit?.id === u.id ? ' btn--primary' : ''}`}
                onClick={() => void packing.choose(u.id)}
              >
                {u.id} · {u.school} · {u.count}
              </button>
            ))}
          </div>
        ) : null}
      </section>

      <section className="drawer__section pack-zone" data-testid="unit" ref={scanZone} tabIndex={-1} aria-label={t('floor.pack.zone')} data-autofocus>
        {unit ? (
          <>
            <h3>
              {t('floor.pack.unit')} <span data-testid="unit-id">{unit.id}</span> · {unit.school}
              {unit.state === 'closed' ? ` · ${t('floor.pack.closed')}` : ''}
            </h3>
            <p className="pack-count" data-testid="unit-count" role="status">
              {t('floor.pack.count', { count: unit.count })}
            </p>
            {open ? (
              <form className="field-row" onSubmit={pack}>
                <label className="field field--grow">
                  <input
                    className="input"
                    value={scan}
                    onChange={(e) => setScan(e.target.value)}
                    aria-label={t('floor.pack.scan')}
                    placeholder={t('floor.pack.scan')}
                    autoComplete="off"
                    spellCheck={false}
                  />
                  <span className="field__hint">{t('floor.pack.scanHint')}</span>
                </label>
              </form>
            ) : (
              <p className="field__hint">{t('floor.pack.closedHint')}</p>
            )}
            {packing.result ? (
              <p
                className={packing.result.tone === 'error' ? 'drawer__error' : undefined}
                role={packing.result.tone === 'error' ? 'alert' : 'status'}
                data-testid="pack-result"
              >
                {packing.result.text}
              </p>
            ) : null}
            {other && !takingOut ? (
              <button type="button" className="btn" onClick={() => setTakingOut(other)} data-testid="take-out-other">
                {t('floor.pack.takeOutOf', { serial: other.serial, unit: other.unitId })}
              </button>
            ) : null}
            {takingOut ? (
              <TakeOutForm
                target={takingOut}
                onCancel={() => setTakingOut(null)}
                onConfirm={async (reason) => {
                  const ok = await packing.takeOut(takingOut.unitId, takingOut.serial, reason);
                  // Taken out of another unit: it goes into this one now.
                  if (ok && takingOut.unitId !== unit.id && open) await packing.scan(takingOut.serial, kind);
                  if (ok) setTakingOut(null);
                }}
              />
            ) : null}
            <ul className="floor-items" data-testid="unit-items">
              {items.map((i) => (
                <li key={i.serial}>
                  <span>
                    {i.serial}
                    {i.deviceName ? ` – ${i.deviceName}` : ''}
                  </span>
                  <span className="muted">{formatDateTime(i.packedAt, language)}</span>
                  {open ? (
                    <button
                      type="button"
                      className="btn btn--small btn--quiet"
                      onClick={() => setTakingOut({ unitId: unit.id, serial: i.serial })}
                      aria-label={t('floor.pack.takeOutOne', { serial: i.serial })}
                    >
                      {t('floor.pack.takeOut')}
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
            <div className="field-row field-row--wrap">
              {open ? (
                <button type="button" className="btn" disabled={unit.count === 0} onClick={() => void packing.close()}>
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
                    onClick={() => void packing.reopen(reason.trim()).then((ok) => ok && setReason(''))}
                  >
                    {t('floor.pack.reopen')}
                  </button>
                </>
              )}
              <button
                type="button"
                className="btn"
                onClick={() => void attempt(notify, () => client.api.printUnitLabel({ unitId: unit.id }), t('floor.pack.labelPrinted', { unit: unit.id }))}
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

/** "Take out of unit": the reason is the technician's (it goes into the unit's log); Enter confirms, Esc goes back. */
function TakeOutForm({
  target,
  onCancel,
  onConfirm,
}: {
  target: { unitId: string; serial: string };
  onCancel: () => void;
  onConfirm: (reason: string) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const ok = reason.trim().length >= 3;
  return (
    <form
      className="field-row take-out"
      data-testid="take-out"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) void onConfirm(reason.trim());
      }}
    >
      <label className="field field--grow">
        <span className="field__label">{t('floor.pack.takeOutReason', { serial: target.serial, unit: target.unitId })}</span>
        <input
          className="input"
          autoFocus
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            // Esc leaves this form, not the whole panel.
            e.stopPropagation();
            e.preventDefault();
            onCancel();
          }}
        />
      </label>
      <button type="submit" className="btn btn--primary" disabled={!ok}>
        {t('floor.pack.takeOut')}
      </button>
      <button type="button" className="btn btn--quiet" onClick={onCancel}>
        {t('shift.cancel')}
      </button>
    </form>
  );
}
