import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { FloorState } from '../../../../shared/contract/floor-api.js';
import type { HubLinkView, ShiftStats, ShiftView } from '../../../../shared/contract/station-api.js';
import { Icon } from '../../common/components/Icon.js';
import { formatNumber, formatTime } from '../../common/format.js';
import { LANGUAGES, currentLanguage, setLanguage } from '../../common/i18n/index.js';
import type { ConnectionState } from '../../transport/index.js';

const UNASSIGNED = 'unassigned';

export interface HeaderProps {
  stationName: string | null;
  connection: ConnectionState;
  live: boolean;
  /** The station's link to its hub; null when it reports to none. */
  hub: HubLinkView | null;
  shift: ShiftView | null;
  stats: ShiftStats | null;
  /** The current batch and the sign-in policy; null from a station that does not send them. */
  floor: FloorState | null;
  attention: number;
  sound: boolean;
  onSound: (on: boolean) => void;
  onHelp: () => void;
  onNextAttention: () => void;
  onFind: (code: string) => void;
  onOpenShift: () => void;
  onCloseShift: () => void;
  onShiftSchedule: () => void;
  /** The batch shown was clicked: the orders, where it is chosen. */
  onBatch: () => void;
  /** Buttons for the station's panels (slots, orders and units, simulator), beside language and sound. */
  tools?: ReactNode;
}

/** The current batch (order, school, blueprint), always in view; a scanned order changes it. */
function BatchChip({ floor, onClick, disabled }: { floor: FloorState | null; onClick: () => void; disabled: boolean }) {
  const { t } = useTranslation();
  if (!floor) return null;
  const batch = floor.batch;
  return (
    <button
      type="button"
      className={`btn batch${batch ? '' : ' batch--none'}`}
      onClick={onClick}
      disabled={disabled}
      data-testid="batch"
      title={t('batch.hint')}
    >
      <span className="batch__label">{t('batch.label')}</span>
      {batch ? (
        <span className="batch__value">
          <strong>{batch.orderId ?? batch.blueprint}</strong>
          <span>{batch.school}</span>
          {batch.orderId ? <span className="batch__blueprint">{batch.blueprint}</span> : null}
        </span>
      ) : (
        <span className="batch__value">{t('batch.none')}</span>
      )}
    </button>
  );
}

/**
 * "Hub: verbunden" or "Hub: nicht erreichbar – N Ereignisse warten", the last error spelled out
 * beneath, and "N Ereignisse abgelehnt" while the hub has refused events (dead letters).
 */
function HubStatus({ hub }: { hub: HubLinkView }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const ok = hub.state === 'online' || (hub.state === 'starting' && hub.lastError === null);
  const state = t(`hubLink.${ok ? hub.state : hub.state === 'starting' ? 'offline' : hub.state}`);
  const text = hub.backlog > 0 ? t('hubLink.withBacklog', { state, count: hub.backlog, backlog: formatNumber(hub.backlog, language) }) : state;
  return (
    <span className={`hub-link hub-link--${ok ? 'ok' : 'bad'}`} role="status" data-testid="hub-link" data-hub-state={hub.state}>
      <span className="hub-link__state">
        <Icon name={ok ? 'online' : 'offline'} size={16} />
        {text}
      </span>
      {hub.deadLetters ? (
        <span className="hub-link__error" data-testid="hub-dead-letters">
          {t('hubLink.deadLetters', { count: hub.deadLetters })}
        </span>
      ) : null}
      {!ok && hub.lastError ? <span className="hub-link__error">{t('hubLink.lastError', { error: hub.lastError })}</span> : null}
    </span>
  );
}

function Stat({ label, value, tone }: { label: string; value: string; tone: string }) {
  return (
    <div className={`stat stat--${tone}`}>
      <span className="stat__value">{value}</span>
      <span className="stat__label">{label}</span>
    </div>
  );
}

function FindField({ onFind }: { onFind: (code: string) => void }) {
  const { t } = useTranslation();
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const code = value.trim();
    if (code) onFind(code);
    setValue('');
  };
  return (
    <form className="find" role="search" onSubmit={submit}>
      <label className="visually-hidden" htmlFor="find-input">
        {t('header.findLabel')}
      </label>
      <input
        id="find-input"
        className="find__input"
        value={value}
        autoComplete="off"
        spellCheck={false}
        placeholder={t('header.findPlaceholder')}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            setValue('');
            e.currentTarget.blur();
          }
        }}
      />
    </form>
  );
}

/** Station, shift with its operators, the shift's figures, language, sound and connection. */
export function Header(props: HeaderProps) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const { shift, stats, live } = props;
  const operators = shift?.present.filter((o) => o !== UNASSIGNED) ?? [];
  // Devices wait until someone signs in (the station's policy): say so where the names would be.
  const prompt = operators.length === 0 && props.floor?.signInPolicy === 'wait';
  const show = (n: number | undefined, digits = 0) => (live && n !== undefined ? formatNumber(n, language, digits) : '–');

  return (
    <header className="header">
      <div className="header__row">
        <div className="brand">
          <span className="brand__name">{props.stationName ?? t('app.title')}</span>
          <span className={`conn conn--${props.connection}`} role="status" data-connection={props.connection}>
            <Icon name={props.connection === 'online' ? 'online' : 'offline'} size={18} />
            {t(`connection.${props.connection}`)}
          </span>
          {props.hub ? <HubStatus hub={props.hub} /> : null}
        </div>

        <div className={`shift${prompt ? ' shift--prompt' : ''}`} aria-label={t('shift.label')} data-testid="shift">
          <Icon name="user" size={22} />
          <div className="shift__text">
            {prompt ? (
              <span className="shift__names" role="status">
                {t('shift.pleaseSignIn')}
              </span>
            ) : shift ? (
              <span className="shift__names">{operators.length > 0 ? operators.join(', ') : t('shift.unassigned')}</span>
            ) : (
              <span className="shift__names">{t('shift.none')}</span>
            )}
            {shift ? (
              <span className="shift__since">
                {t('shift.label')} {t('shift.since', { time: formatTime(shift.openedAt, language) })}
              </span>
            ) : null}
          </div>
          <button type="button" className="btn btn--small" onClick={props.onOpenShift} disabled={!live}>
            {shift ? t('shift.signIn') : t('shift.open')}
          </button>
          {shift ? (
            <button type="button" className="btn btn--small btn--quiet" onClick={props.onCloseShift} disabled={!live}>
              {t('shift.close')}
            </button>
          ) : null}
          <button type="button" className="btn btn--small btn--quiet" onClick={props.onShiftSchedule} disabled={!live}>
            {t('schedule.open')}
          </button>
        </div>

        <div
          className={`stats${live ? '' : ' stats--stale'}`}
          aria-label={live ? t('header.stats') : `${t('header.stats')} (${t('header.notLive')})`}
          data-live={live}
        >
          <Stat tone="done" label={t('header.done')} value={show(stats?.done)} />
          <Stat tone="failed" label={t('header.failed')} value={show(stats?.failed)} />
          <Stat tone="running" label={t('header.inProgress')} value={show(stats?.inProgress)} />
          <Stat tone="rate" label={t('header.perHour')} value={show(stats?.devicesPerHour, 1)} />
        </div>
      </div>

      <div className="header__row header__row--tools">
        <FindField onFind={props.onFind} />
        <button
          type="button"
          className={`btn attention${props.attention > 0 ? ' attention--on' : ''}`}
          onClick={props.onNextAttention}
          disabled={props.attention === 0}
          title={t('header.attentionHint')}
        >
          <Icon name="waiting" />
          {t('header.attention', { count: props.attention })}
        </button>
        <BatchChip floor={props.floor} onClick={props.onBatch} disabled={!live} />
        <div className="spacer" />
        {props.tools}
        <div className="lang" role="group" aria-label={t('header.language')}>
          {LANGUAGES.map((l) => (
            <button key={l} type="button" className="btn btn--small lang__btn" lang={l} aria-pressed={language === l} onClick={() => setLanguage(l)}>
              {/* "DE" / "EN" on screen, the language's own name for screen readers. */}
              <span className="visually-hidden">{t(`language.${l}`)}</span>
              <span aria-hidden="true">{l.toUpperCase()}</span>
            </button>
          ))}
        </div>
        <button
          type="button"
          className="btn btn--small"
          aria-pressed={props.sound}
          title={props.sound ? t('header.soundOn') : t('header.soundOff')}
          onClick={() => props.onSound(!props.sound)}
        >
          <Icon name={props.sound ? 'sound' : 'mute'} />
          <span className="visually-hidden">{props.sound ? t('header.soundOn') : t('header.soundOff')}</span>
        </button>
        <button type="button" className="btn btn--small" onClick={props.onHelp} title={t('header.help')}>
          <Icon name="help" />
          <span className="visually-hidden">{t('header.help')}</span>
          <kbd>?</kbd>
        </button>
      </div>
    </header>
  );
}
