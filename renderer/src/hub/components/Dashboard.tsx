import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Dashboard as DashboardData, LoginResponse } from '../../../../shared/contract/hub-api.js';
import { formatTime } from '../../common/format.js';
import { LANGUAGES, currentLanguage, setLanguage, type Language } from '../../common/i18n/index.js';
import { openLive, type LiveState } from '../hub-client.js';
import { CumulativeChart, ParetoChart, PerHourChart } from './Charts.js';
import { Orders } from './Orders.js';
import { StalledList } from './StalledList.js';
import { StationDrawer } from './StationDrawer.js';
import { StationTile } from './StationTile.js';
import { TargetForm } from './TargetForm.js';
import { Totals } from './Totals.js';

/** Jump links at the top: every part of the page is one click away, however many stations there are. */
function Nav() {
  const { t } = useTranslation();
  return (
    <nav className="hub__nav" aria-label={t('nav.label')}>
      <a href="#stalled">{t('nav.stalled')}</a>
      <a href="#tiles-title">{t('nav.stations')}</a>
      <a href="#orders-title">{t('nav.orders')}</a>
      <a href="#charts">{t('nav.charts')}</a>
    </nav>
  );
}

/**
 * The floor on one screen: totals, what is stalled, a tile per station (each opens its slots and
 * exports), the orders and the charts, kept live by the hub's feed.
 */
export function Dashboard({ session, onLogout, onExpired }: { session: LoginResponse; onLogout: () => void; onExpired: () => void }) {
  const { t } = useTranslation();
  const [data, setData] = useState<DashboardData | null>(null);
  const [state, setState] = useState<LiveState>('connecting');
  const [lang, setLang] = useState<Language>(currentLanguage());
  const [opened, setOpened] = useState<string | null>(null);

  useEffect(() => openLive(session.token, { onDashboard: setData, onState: setState, onUnauthorized: onExpired }), [session.token, onExpired]);

  const stale = state !== 'live';
  const openTile = data?.stations.find((s) => s.stationId !== null && s.stationId === opened) ?? null;
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
        <Nav />
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
          <TargetForm key={`${data.dailyTarget}|${data.targetHours}`} token={session.token} current={data.dailyTarget} hours={data.targetHours} />
          <section aria-labelledby="tiles-title">
            <h2 id="tiles-title">{t('tiles.title')}</h2>
            {data.stations.length === 0 ? (
              <p className="muted">{t('tiles.empty')}</p>
            ) : (
              <div className="stations">
                {data.stations.map((s) => (
                  <StationTile
                    key={s.name}
                    tile={s}
                    stallMinutes={data.stallMinutes}
                    serverTime={data.serverTime}
                    onOpen={() => s.stationId !== null && setOpened(s.stationId)}
                  />
                ))}
              </div>
            )}
          </section>
          <StalledList runs={data.stalledRuns} stallMinutes={data.stallMinutes} />
          <Orders orders={data.orders} />
          <div className="charts" id="charts">
            <PerHourChart perHour={data.perHour} />
            <CumulativeChart cumulative={data.cumulative} target={data.dailyTarget} hours={data.targetHours} />
            <ParetoChart pareto={data.pareto} retried={data.paretoRetried} />
          </div>
          {openTile && <StationDrawer token={session.token} tile={openTile} serverTime={data.serverTime} onClose={() => setOpened(null)} />}
        </main>
      )}
    </div>
  );
}
