import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { TARGET_HOURS_PATTERN } from '../../../../shared/contract/hub-api.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { messageText } from '../../common/i18n/messages.js';
import { HubApiError, setTarget } from '../hub-client.js';

/** The day's target and the working hours it is spread over: the shift supervisor plans the day. */
export function TargetForm({ token, current, hours }: { token: string; current: number | null; hours: string }) {
  const { t } = useTranslation();
  const [value, setValue] = useState(current === null ? '' : String(current));
  const [span, setSpan] = useState(hours);
  const [message, setMessage] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await setTarget(token, value.trim() === '' ? null : Number(value), span.trim());
      setMessage(t('target.saved'));
    } catch (err) {
      // The hub's reason in the dashboard's language; its English words only for a code this build does not know.
      const reason = err instanceof HubApiError && err.text ? messageText(t, currentLanguage(), err.text) : undefined;
      setMessage(t('target.failed', { message: reason ?? (err as Error).message }));
    }
  };
  return (
    <form className="target" onSubmit={(e) => void save(e)}>
      <label className="field field--narrow">
        <span className="field__label">{t('target.label')}</span>
        <input className="input" type="number" min={0} max={1000000} inputMode="numeric" value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <label className="field field--narrow">
        <span className="field__label">{t('target.hours')}</span>
        <input
          className="input"
          type="text"
          pattern={TARGET_HOURS_PATTERN.source}
          placeholder={t('target.hoursHint')}
          value={span}
          onChange={(e) => setSpan(e.target.value)}
        />
      </label>
      <button className="btn btn--small" type="submit">
        {t('target.save')}
      </button>
      <span role="status" className="muted">
        {message}
      </span>
    </form>
  );
}
