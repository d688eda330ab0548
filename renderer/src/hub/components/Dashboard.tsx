import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Dashboard as DashboardData, LoginResponse } from '../../../../shared/contract/hub-api.js';
import { formatNumber, formatTime } from '../../common/format.js';
import { LANGUAGES, currentLanguage, setLanguage, type Language } from '../../common/i18n/index.js';
import { messageText } from '../../common/i18n/messages.js';
import { HubApiError, openLive, setTarget, type LiveState } from '../hub-client.js';
import { CumulativeChart, ParetoChart, PerHourChart } from './Charts.js';
import { Orders } from './Orders.js';
import { StationTile } from './StationTile.js';

function TargetForm({ token, current }: { token: string; current: number | null }) {
  const { t } = useTranslation();
  const [value, setValue] = useState(current === null ? '' : String(current));
  const [message, setMessage] = useState<string | null>(null);
  const save = async (e: FormEvent, devices: number | null) => {
    e.preventDefault();
    try {
      await setTarget(token, devices);
      setMessage(t('target.saved'));
    } catch (err) {
      // The hub's reason in the dashboard's language; its English words only for a code this build does not know.
      const reason = err instanceof HubApiError && err.text ? messageText(t, currentLanguage(), err.text) : undefined;
      setMessage(t('target.failed', { message: reason ?? (err as Error).message }));
    }
  };
  return (
    <form className="target" onSubmit={(e) => void save(e, value.trim() === '' ? null : Number(value))}>
      <label className="field field--narrow">
        <span className="field__label">{t('target.label')}</span>
        <input className="input" type="number" min={0} max={1000000} inputMode="numeric" value={value} onChange={(e) => setValue(e.target.value)} />
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

function Totals({ data }: { data: DashboardData }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const sum = (f: (s: DashboardData['stations'][number]) => number) => data.stations.reduce((n, s) => n + f(s), 0);
  const today = data.cumulative.points.at(-1)?.done ?? 0;
  const items: [string, string, string][] = [
    ['stations', t('summary.stations'), `${sum((s) => (s.online ? 1 : 0))} / ${data.stations.length}`],
    [
      'wip',
      t('summary.wip'),
      formatNumber(
        sum((s) => s.wip),
        lang,
      ),
    ],
    [
      'done',
      t('summary.done'),
      formatNumber(
        sum((s) => s.done),
        lang,
      ),
    ],
    [
      'failed',
      t('summary.failed'),
      formatNumber(
        sum((s) => s.failed),
        lang,
      ),
    ],
    [
      'stalled',
      t('summary.stalled'),
      formatNumber(
        sum((s) => s.stalled),
        lang,
      ),
    ],
    ['today', t('summary.today'), formatNumber(today, lang)],
    ['target', t('summary.target'), data.dailyTarget === null ? t('summary.noTarget') : formatNumber(data.dailyTarget, lang)],
  ];
  return (
    <dl className="totals">
      {items.map(([key, label, value]) => (
        <div key={key} className="totals__item">
          <dt>{label}</dt>
          <dd data-testid={`total-${key}`}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The floor on one screen: totals, a tile per station and the charts, kept live by the hub's feed. */
export function Dashboard({ session, onLogout, onExpired }: { session: LoginResponse; onLogout: () => void; onExpired: () => void }) {
  const { t } = useTranslation();
  const [data, setData] = useState<DashboardData | null>(null);
  const [state, setState] = useState<LiveState>('connecting');
  const [lang, setLang] = useState<Language>(currentLanguage());

  useEffect(() => openLive(session.token, { onDashboard: setData, onState: setState, onUnauthorized: onExpired }), [session.token, onExpired]);

  const stale = state !== 'live';
  return (
    <div className="hub">
      <header className="hub__header">
        <div>
          <h1>{t('app.title')}</h1>
          <p className="muted">{t('app.subtitle')}</p>
        </div>
        <p className={`conn conn--${state}`} role="status" data-testid="live-state">
          <span aria-hidden="true">{state === 'live' ? '●' : '◌'}</span>{' '}
          {state === 'live'
            ? t('conn.live')
            : state === 'connecting'
              ? t('conn.connecting')
              : t('conn.reconnecting', { time: data ? formatTime(data.serverTime, lang, true) : '–' })}
        </p>
        <div className="hub__actions">
          <label className="field field--narrow">
            <span className="field__label">{t('header.language')}</span>
            <select
              className="input"
              value={lang}
              onChange={(e) => {
                const next = e.target.value as Language;
                setLanguage(next);
                setLang(next);
              }}
            >
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {l === 'de' ? 'Deutsch' : 'English'}
                </option>
              ))}
            </select>
          </label>
          <span className="muted">{t('header.signedInAs', { name: session.username, role: t(`role.${session.role}`) })}</span>
          <button className="btn btn--small" type="button" onClick={onLogout}>
            {t('header.logout')}
          </button>
        </div>
      </header>
      {data && (
        <main className={`hub__main${stale ? ' hub__main--stale' : ''}`} aria-busy={stale}>
          <Totals data={data} />
          {session.role === 'admin' && <TargetForm token={session.token} current={data.dailyTarget} />}
          <section aria-labelledby="tiles-title">
            <h2 id="tiles-title">{t('tiles.title')}</h2>
            {data.stations.length === 0 ? (
              <p className="muted">{t('tiles.empty')}</p>
            ) : (
              <div className="stations">
                {data.stations.map((s) => (
                  <StationTile key={s.name} tile={s} stallMinutes={data.stallMinutes} />
                ))}
              </div>
            )}
          </section>
          <div className="charts">
            <PerHourChart perHour={data.perHour} />
            <CumulativeChart cumulative={data.cumulative} target={data.dailyTarget} />
            <ParetoChart pareto={data.pareto} />
          </div>
          <Orders orders={data.orders} />
        </main>
      )}
    </div>
  );
}
