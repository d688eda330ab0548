import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { SlotLayout } from '../../../../shared/contract/station-api.js';
import { Icon } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';
import { useStation } from '../state/context.js';
import { hubLabels, isSimulatorPort, labelRange } from './hub-labels.js';
import './bench.css';

/**
 * The bench layout: which USB port is which slot. The technician lets the station learn it (plug
 * one device into each slot in turn) or maps a port by hand; the layout lives in the station's
 * database and every tile follows it at once.
 */
export function SlotLayoutDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [layout, setLayout] = useState<SlotLayout | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [hub, setHub] = useState('A');
  const [count, setCount] = useState('16');
  const [first, setFirst] = useState('1');
  const [label, setLabel] = useState('');
  const [port, setPort] = useState('');
  const [showSim, setShowSim] = useState(false);

  useEffect(() => {
    let alive = true;
    client.api.slotLayout({}).then(
      (l) => alive && setLayout(l),
      (err: unknown) => alive && setError((err as Error).message),
    );
    const off = client.onEvent((e) => {
      if (e.type === 'layout') setLayout(e.layout);
    });
    return () => {
      alive = false;
      off();
    };
  }, [client]);

  const run = async (action: () => Promise<SlotLayout>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      setLayout(await action());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const labels = hubLabels(hub, Number(count), Number(first));
  const learn = layout?.learn ?? null;
  const learning = learn !== null && learn.next < learn.labels.length;
  const learnedAll = learn !== null && learn.next >= learn.labels.length;
  const slots = useMemo(() => (layout?.slots ?? []).filter((s) => showSim || !isSimulatorPort(s.portPath)), [layout, showSim]);
  const hiddenSim = (layout?.slots.length ?? 0) - slots.length;
  const ports = (layout?.ports ?? []).filter((p) => showSim || !isSimulatorPort(p.portPath));

  const onStart = (e: FormEvent) => {
    e.preventDefault();
    if (labels.length > 0) void run(() => client.api.startLearn({ labels }));
  };
  const onSave = (e: FormEvent) => {
    e.preventDefault();
    if (!label.trim() || !port.trim()) return;
    void run(async () => {
      const l = await client.api.saveSlot({ label: label.trim(), portPath: port.trim() });
      setLabel('');
      setPort('');
      return l;
    });
  };

  return (
    <Modal variant="dialog" label={t('bench.title')} onClose={onClose} className="slot-dialog">
      <div className="dialog__head">
        <h2>{t('bench.title')}</h2>
        <button type="button" className="btn btn--quiet btn--small" aria-label={t('bench.close')} onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>

      <section className="learn" aria-label={t('bench.learnTitle')} data-learning={learning ? 'true' : 'false'}>
        <h3>{t('bench.learnTitle')}</h3>
        {learning && learn ? (
          <div className="learn__active" role="status" aria-live="assertive">
            <p className="learn__prompt">{t('bench.learnPlug', { slot: learn.labels[learn.next] })}</p>
            <p className="muted">{t('bench.learnProgress', { done: learn.next, count: learn.labels.length })}</p>
            <button type="button" className="btn" disabled={busy} onClick={() => void run(() => client.api.stopLearn({}))}>
              {t('bench.learnStop')}
            </button>
          </div>
        ) : learnedAll && learn ? (
          <div className="learn__active" role="status">
            <p className="learn__prompt">{t('bench.learnDone', { count: learn.labels.length })}</p>
            <button type="button" className="btn btn--primary" data-autofocus disabled={busy} onClick={() => void run(() => client.api.stopLearn({}))}>
              {t('bench.learnFinish')}
            </button>
          </div>
        ) : (
          <form className="field-row learn__form" onSubmit={onStart}>
            <label className="field field--narrow">
              <span className="field__label">{t('bench.hub')}</span>
              <input className="input" data-autofocus value={hub} maxLength={2} onChange={(e) => setHub(e.target.value)} autoComplete="off" />
            </label>
            <label className="field field--narrow">
              <span className="field__label">{t('bench.count')}</span>
              <input className="input" type="number" min={1} max={64} value={count} onChange={(e) => setCount(e.target.value)} />
            </label>
            <label className="field field--narrow">
              <span className="field__label">{t('bench.first')}</span>
              <input className="input" type="number" min={1} max={99} value={first} onChange={(e) => setFirst(e.target.value)} />
            </label>
            <button type="submit" className="btn btn--primary" disabled={busy || labels.length === 0}>
              {t('bench.learnStart', { range: labelRange(labels) })}
            </button>
          </form>
        )}
        {learn && learn.learned.length > 0 ? (
          <ol className="learn__list" aria-label={t('bench.learned')}>
            {learn.learned.map((l) => (
              <li key={l.label} data-label={l.label}>
                <Icon name="check" size={18} /> {t('bench.learnedItem', { slot: l.label, port: l.portPath })}
              </li>
            ))}
          </ol>
        ) : null}
      </section>

      {error ? (
        <p className="slot-dialog__error" role="alert">
          {error}
        </p>
      ) : null}

      <section aria-label={t('bench.slotsTitle')}>
        <h3>{t('bench.slotsTitle')}</h3>
        {slots.length === 0 ? <p className="muted">{t('bench.noSlots')}</p> : null}
        {slots.length > 0 ? (
          <table className="slot-table">
            <thead>
              <tr>
                <th scope="col">{t('bench.slot')}</th>
                <th scope="col">{t('bench.port')}</th>
                <th scope="col">{t('bench.occupant')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('bench.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {slots.map((s) => (
                <tr key={s.label} data-label={s.label} data-port={s.portPath}>
                  <th scope="row">{s.label}</th>
                  <td className="mono">{s.portPath}</td>
                  <td>{s.occupant ?? <span className="muted">{t('bench.empty')}</span>}</td>
                  <td className="slot-table__actions">
                    <button
                      type="button"
                      className="btn btn--small"
                      onClick={() => {
                        setLabel(s.label);
                        setPort(s.portPath);
                      }}
                    >
                      {t('bench.edit')}
                    </button>
                    <button
                      type="button"
                      className="btn btn--small btn--quiet"
                      disabled={busy}
                      onClick={() => void run(() => client.api.deleteSlot({ label: s.label }))}
                    >
                      {t('bench.remove', { slot: s.label })}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {hiddenSim > 0 || showSim ? (
          <label className="check">
            <input type="checkbox" checked={showSim} onChange={(e) => setShowSim(e.target.checked)} />
            {t('bench.showSim', { count: hiddenSim })}
          </label>
        ) : null}

        <form className="field-row slot-form" onSubmit={onSave} aria-label={t('bench.mapTitle')}>
          <label className="field field--narrow">
            <span className="field__label">{t('bench.slot')}</span>
            <input
              className="input"
              value={label}
              maxLength={16}
              placeholder={t('bench.labelExample')}
              onChange={(e) => setLabel(e.target.value)}
              autoComplete="off"
            />
          </label>
          <label className="field">
            <span className="field__label">{t('bench.port')}</span>
            <input
              className="input mono"
              value={port}
              maxLength={300}
              placeholder="1-4.7"
              list="bench-ports"
              onChange={(e) => setPort(e.target.value)}
              autoComplete="off"
            />
            <datalist id="bench-ports">
              {ports.map((p) => (
                <option key={p.portPath} value={p.portPath}>
                  {p.what}
                </option>
              ))}
            </datalist>
          </label>
          <button type="submit" className="btn" disabled={busy || !label.trim() || !port.trim()}>
            {t('bench.save')}
          </button>
        </form>
      </section>

      {ports.length > 0 ? (
        <section aria-label={t('bench.portsTitle')}>
          <h3>{t('bench.portsTitle')}</h3>
          <ul className="port-list">
            {ports.map((p) => (
              <li key={p.portPath} data-port={p.portPath}>
                <span className="mono">{p.portPath}</span> <span>{p.what}</span>{' '}
                {p.slot ? <span className="chip">{p.slot}</span> : <span className="chip chip--warn">{t('bench.unmapped')}</span>}
                {!p.slot ? (
                  <button type="button" className="btn btn--small" onClick={() => setPort(p.portPath)}>
                    {t('bench.mapPort')}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Modal>
  );
}

/** Opens the slot layout (next to the floor panel's button). */
export function SlotsButton({ onOpen }: { onOpen: () => void }) {
  const { t } = useTranslation();
  return (
    <button type="button" className="btn slots-open" onClick={onOpen} data-testid="slots-open">
      {t('bench.open')}
    </button>
  );
}
