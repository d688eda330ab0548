import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { LoginResponse } from '../../../../shared/contract/hub-api.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { messageText } from '../../common/i18n/messages.js';
import { HubLoginError, login } from '../hub-client.js';

export function Login({ onLogin, notice }: { onLogin: (s: LoginResponse) => void; notice: string | null }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Runs of spaces become one, as the hub stores names ("Anna  Schulz" is "Anna Schulz").
      onLogin(await login(username.trim().replace(/ {2,}/g, ' '), password));
    } catch (err) {
      const own = err instanceof HubLoginError && err.text ? messageText(t, currentLanguage(), err.text) : undefined;
      setError(own ?? t(`login.${err instanceof HubLoginError ? err.kind : 'unreachable'}`));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login__form panel" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">{t('app.title')}</h1>
        <p className="muted">{t('login.title')}</p>
        {notice && (
          <p className="login__notice" role="status">
            {notice}
          </p>
        )}
        <label className="field">
          <span className="field__label">{t('login.username')}</span>
          <input className="input" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label className="field">
          <span className="field__label">{t('login.password')}</span>
          <input
            className="input"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="login__error" role="alert">
            {error}
          </p>
        )}
        <button className="btn btn--primary" type="submit" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
    </main>
  );
}
