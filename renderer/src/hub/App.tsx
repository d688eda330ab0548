import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LoginResponse } from '../../../shared/contract/hub-api.js';
import { Dashboard } from './components/Dashboard.js';
import { Login } from './components/Login.js';
import { forgetSession, logout, storedSession } from './hub-client.js';

export function App() {
  const { t } = useTranslation();
  const [session, setSession] = useState<LoginResponse | null>(() => storedSession());
  const [notice, setNotice] = useState<string | null>(null);
  const expired = useCallback(() => {
    forgetSession();
    setSession(null);
    setNotice(t('error.session'));
  }, [t]);
  if (!session) {
    return (
      <Login
        notice={notice}
        onLogin={(s) => {
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Dashboard
      session={session}
      onExpired={expired}
      onLogout={() => {
        void logout(session.token);
        setSession(null);
      }}
    />
  );
}
