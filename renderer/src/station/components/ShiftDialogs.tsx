import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ShiftStats, ShiftView } from '../../../../shared/contract/station-api.js';
import { Icon } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';

/**
 * Opening a shift or signing in to the open one: scan a badge or type a name, Enter adds it;
 * Enter on the empty field (the scanner's second scan, or a person) opens.
 */
export function OpenShiftDialog({
  shift,
  onSubmit,
  onClose,
}: {
  shift: ShiftView | null;
  onSubmit: (operators: string[]) => Promise<boolean>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [names, setNames] = useState<string[]>([]);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const title = shift ? t('shift.dialogSignIn') : t('shift.dialogOpen');

  const submit = async (list: string[]) => {
    if (list.length === 0 || busy) return;
    setBusy(true);
    const ok = await onSubmit(list);
    setBusy(false);
    if (ok) onClose();
  };
  const onForm = (e: FormEvent) => {
    e.preventDefault();
    const name = value.trim();
    if (!name) {
      void submit(names);
      return;
    }
    setValue('');
    if (!names.includes(name)) setNames([...names, name]);
  };

  return (
    <Modal variant="dialog" label={title} onClose={onClose} className="shift-dialog">
      <div className="dialog__head">
        <h2>{title}</h2>
      </div>
      <form onSubmit={onForm} className="field-row">
        <label className="field">
          <span className="field__label">{t('shift.operatorLabel')}</span>
          <input
            className="input"
            data-autofocus
            value={value}
            maxLength={80}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setValue(e.target.value)}
          />
          <span className="field__hint">{t('shift.operatorHint')}</span>
        </label>
        <button type="submit" className="btn" disabled={!value.trim()}>
          {t('shift.add')}
        </button>
      </form>
      <div className="operators" aria-label={t('shift.operators')}>
        {names.length === 0 ? <span className="muted">{t('shift.noOperators')}</span> : null}
        {names.map((n) => (
          <span key={n} className="chip">
            {n}
            <button type="button" className="chip__remove" aria-label={t('shift.remove', { name: n })} onClick={() => setNames(names.filter((x) => x !== n))}>
              <Icon name="close" size={16} />
            </button>
          </span>
        ))}
      </div>
      <div className="dialog__actions">
        <button type="button" className="btn btn--quiet" onClick={onClose}>
          {t('shift.cancel')}
        </button>
        <button
          type="button"
          className="btn btn--primary"
          disabled={busy || (names.length === 0 && !value.trim())}
          onClick={() => void submit(value.trim() && !names.includes(value.trim()) ? [...names, value.trim()] : names)}
        >
          {shift ? t('shift.submitSignIn') : t('shift.submitOpen')}
        </button>
      </div>
    </Modal>
  );
}

export function CloseShiftDialog({
  stats,
  onConfirm,
  onClose,
}: {
  stats: ShiftStats | null;
  onConfirm: () => Promise<boolean>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  return (
    <Modal variant="dialog" label={t('shift.closeTitle')} onClose={onClose} className="shift-dialog">
      <div className="dialog__head">
        <h2>{t('shift.closeTitle')}</h2>
      </div>
      <p>{t('shift.closeBody', { done: stats?.done ?? 0, failed: stats?.failed ?? 0 })}</p>
      <div className="dialog__actions">
        <button type="button" className="btn btn--quiet" onClick={onClose} data-autofocus>
          {t('shift.cancel')}
        </button>
        <button
          type="button"
          className="btn btn--danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            const ok = await onConfirm();
            setBusy(false);
            if (ok) onClose();
          }}
        >
          {t('shift.closeConfirm')}
        </button>
      </div>
    </Modal>
  );
}
