import { useEffect, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { shiftScheduleSchema } from '../../../../shared/contract/floor-api.js';
import type { ShiftStats, ShiftView } from '../../../../shared/contract/station-api.js';
import { Icon } from '../../common/components/Icon.js';
import { Modal } from '../../common/components/Modal.js';
import { SIGN_IN_POLICIES, type SignInPolicy } from '../../../../shared/contract/floor-api.js';
import { useStation, useStationState } from '../state/context.js';

/** One operator to sign in: a name, optionally with the badge to register for it (or a registered badge alone). */
export interface SignInEntry {
  name?: string;
  badge?: string;
}

const entryKey = (e: SignInEntry) => `${e.name ?? ''}\u0000${e.badge ?? ''}`;

/**
 * Opening a shift or signing in to the open one: type a name (and scan a badge once to register
 * it), Enter adds it; Enter on the empty fields (the scanner's second scan, or a person) opens.
 */
export function OpenShiftDialog({
  shift,
  onSubmit,
  onClose,
}: {
  shift: ShiftView | null;
  onSubmit: (operators: SignInEntry[]) => Promise<boolean>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [entries, setEntries] = useState<SignInEntry[]>([]);
  const [value, setValue] = useState('');
  const [badge, setBadge] = useState('');
  const [busy, setBusy] = useState(false);
  const title = shift ? t('shift.dialogSignIn') : t('shift.dialogOpen');
  const pending = (): SignInEntry | null => {
    const name = value.trim();
    const b = badge.trim();
    if (!name && !b) return null;
    return { ...(name ? { name } : {}), ...(b ? { badge: b } : {}) };
  };
  const withPending = (): SignInEntry[] => {
    const p = pending();
    return p && !entries.some((e) => entryKey(e) === entryKey(p)) ? [...entries, p] : entries;
  };

  const submit = async (list: SignInEntry[]) => {
    if (list.length === 0 || busy) return;
    setBusy(true);
    const ok = await onSubmit(list);
    setBusy(false);
    if (ok) onClose();
  };
  // Enter does what the hints say: a name (or a name with a new badge) is added; a registered badge
  // alone signs in at once; on empty fields it signs in everyone added. (The form's own Enter is
  // not used: browsers ignore it while the Add button is disabled, i.e. on empty fields.)
  const onEnter = (e: KeyboardEvent<HTMLFormElement>) => {
    if (e.key !== 'Enter' || e.nativeEvent.isComposing) return;
    e.preventDefault();
    const p = pending();
    if (!p) {
      void submit(entries);
      return;
    }
    if (p.badge && !p.name) {
      void submit(withPending());
      return;
    }
    setEntries(withPending());
    setValue('');
    setBadge('');
  };
  const onForm = (e: FormEvent) => {
    e.preventDefault();
    if (!pending()) return;
    setEntries(withPending());
    setValue('');
    setBadge('');
  };

  return (
    <Modal variant="dialog" label={title} onClose={onClose} className="shift-dialog">
      <div className="dialog__head">
        <h2>{title}</h2>
      </div>
      <form onSubmit={onForm} onKeyDown={onEnter} className="field-row">
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
        <label className="field">
          <span className="field__label">{t('shift.badgeLabel')}</span>
          <input className="input" value={badge} maxLength={80} autoComplete="off" spellCheck={false} onChange={(e) => setBadge(e.target.value)} />
          <span className="field__hint">{t('shift.badgeHint')}</span>
        </label>
        <button type="submit" className="btn" disabled={!value.trim() && !badge.trim()}>
          {t('shift.add')}
        </button>
      </form>
      <div className="operators" aria-label={t('shift.operators')}>
        {entries.length === 0 ? <span className="muted">{t('shift.noOperators')}</span> : null}
        {entries.map((n) => {
          const label = n.name && n.badge ? t('shift.withBadge', { name: n.name, badge: n.badge }) : (n.name ?? t('shift.badgeOnly', { badge: n.badge }));
          return (
            <span key={entryKey(n)} className="chip">
              {label}
              <button
                type="button"
                className="chip__remove"
                aria-label={t('shift.remove', { name: label })}
                onClick={() => setEntries(entries.filter((x) => x !== n))}
              >
                <Icon name="close" size={16} />
              </button>
            </span>
          );
        })}
      </div>
      <div className="dialog__actions">
        <button type="button" className="btn btn--quiet" onClick={onClose}>
          {t('shift.cancel')}
        </button>
        <button type="button" className="btn btn--primary" disabled={busy || (entries.length === 0 && !pending())} onClick={() => void submit(withPending())}>
          {shift ? t('shift.submitSignIn') : t('shift.submitOpen')}
        </button>
      </div>
    </Modal>
  );
}

export function CloseShiftDialog({ stats, onConfirm, onClose }: { stats: ShiftStats | null; onConfirm: () => Promise<boolean>; onClose: () => void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  // onConfirm reports its own failure and answers false: the dialog stays open for another try.
  const confirm = async () => {
    setBusy(true);
    const ok = await onConfirm();
    setBusy(false);
    if (ok) onClose();
  };
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
        <button type="button" className="btn btn--danger" disabled={busy} onClick={() => void confirm()}>
          {t('shift.closeConfirm')}
        </button>
      </div>
    </Modal>
  );
}

const MAX_WINDOWS = 6; // shiftScheduleSchema's .max(6)
const windowSchema = shiftScheduleSchema.element;

/** The shift plan: "06:00-14:00" windows in the station's local time; a shift closes at the end of its window. */
export function ShiftScheduleDialog({ onClose, notify }: { onClose: () => void; notify: (tone: 'info' | 'error', text: string) => void }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const [windows, setWindows] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let gone = false;
    client.api.shiftSchedule({}).then(
      (r) => !gone && setWindows(r.windows),
      (err: unknown) => !gone && setError(t('schedule.loadFailed', { message: err instanceof Error ? err.message : String(err) })),
    );
    return () => {
      gone = true;
    };
  }, [client, t]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!windows || busy) return;
    const list = windows.map((w) => w.trim()).filter((w) => w.length > 0);
    // The schema's rule, said in the technician's language.
    const bad = list.find((w) => !windowSchema.safeParse(w).success);
    if (bad !== undefined) {
      setError(t('schedule.invalid', { window: bad }));
      return;
    }
    setBusy(true);
    try {
      const r = await client.api.setShiftSchedule({ windows: list });
      setWindows(r.windows);
      setError(null);
      notify('info', t('schedule.saved'));
      onClose();
    } catch (err) {
      setError(t('schedule.saveFailed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal variant="dialog" label={t('schedule.title')} onClose={onClose} className="shift-dialog">
      <div className="dialog__head">
        <h2>{t('schedule.title')}</h2>
      </div>
      <p className="muted">{t('schedule.hint')}</p>
      <SignInPolicyChoice notify={notify} />
      <form onSubmit={(e) => void save(e)} noValidate>
        {windows === null && !error ? <p className="muted">{t('schedule.loading')}</p> : null}
        {windows?.length === 0 ? <p className="muted">{t('schedule.empty')}</p> : null}
        <ul className="schedule">
          {(windows ?? []).map((w, i) => (
            <li key={i} className="field-row">
              <input
                className="input"
                value={w}
                maxLength={11}
                placeholder="06:00-14:00"
                autoComplete="off"
                spellCheck={false}
                aria-label={t('schedule.window', { n: i + 1 })}
                aria-invalid={error !== null && !windowSchema.safeParse(w.trim()).success}
                {...(i === windows!.length - 1 ? { 'data-autofocus': true } : {})}
                onChange={(e) => setWindows(windows!.map((x, j) => (j === i ? e.target.value : x)))}
              />
              <button
                type="button"
                className="btn btn--quiet"
                aria-label={t('schedule.remove', { n: i + 1 })}
                onClick={() => setWindows(windows!.filter((_, j) => j !== i))}
              >
                <Icon name="close" size={16} />
              </button>
            </li>
          ))}
        </ul>
        {error ? (
          <p className="schedule__error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="btn" disabled={!windows || windows.length >= MAX_WINDOWS} onClick={() => windows && setWindows([...windows, ''])}>
            {t('schedule.add')}
          </button>
          <div className="spacer" />
          <button type="button" className="btn btn--quiet" onClick={onClose}>
            {t('shift.cancel')}
          </button>
          <button type="submit" className="btn btn--primary" disabled={!windows || busy}>
            {t('schedule.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/**
 * The station's sign-in policy: devices wait with "please sign in" while nobody is signed in (every
 * run has a responsible technician), or they run anyway. Saved at once.
 */
function SignInPolicyChoice({ notify }: { notify: (tone: 'info' | 'error', text: string) => void }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const stored = useStationState((s) => s.floor?.signInPolicy ?? null);
  // The choice shows at once; the station's `floor` event confirms it (or the old one comes back on failure).
  const [chosen, setChosen] = useState<SignInPolicy | null>(null);
  const [busy, setBusy] = useState(false);
  const policy = chosen ?? stored;
  if (!policy) return null;
  return (
    <fieldset className="policy" data-testid="sign-in-policy">
      <legend className="field__label">{t('policy.title')}</legend>
      {SIGN_IN_POLICIES.map((p) => (
        <label key={p} className="check">
          <input
            type="radio"
            name="sign-in-policy"
            value={p}
            checked={policy === p}
            disabled={busy}
            onChange={() => {
              setBusy(true);
              setChosen(p);
              client.api
                .setSignInPolicy({ policy: p })
                .then(
                  () => notify('info', t(`policy.saved.${p}`)),
                  (err: unknown) => {
                    setChosen(null);
                    notify('error', t('policy.failed', { message: err instanceof Error ? err.message : String(err) }));
                  },
                )
                .finally(() => setBusy(false));
            }}
          />
          {t(`policy.${p}`)}
        </label>
      ))}
    </fieldset>
  );
}
