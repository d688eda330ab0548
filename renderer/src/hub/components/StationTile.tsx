import { useTranslation } from 'react-i18next';
import type { StationTile as Tile } from '../../../../shared/contract/hub-api.js';
import { Icon } from '../../common/components/Icon.js';
import { formatNumber } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { lastSeenWords } from '../words.js';

function Figure({ label, value, tone, testId, note }: { label: string; value: string; tone?: string | undefined; testId: string; note?: string }) {
  return (
    <div className={`figure${tone ? ` figure--${tone}` : ''}`}>
      <span className="figure__value" data-testid={testId}>
        {value}
      </span>
      <span className="figure__label">{label}</span>
      {note && <span className="figure__note">{note}</span>}
    </div>
  );
}

/**
 * One station on the floor: online state, shift and operators, and the shift's numbers. An offline
 * station says so across the tile with when it was last seen, and its live numbers (in progress,
 * stalled) read "unknown" with the last known value beside them. The tile opens the station's slots.
 */
export function StationTile({ tile, stallMinutes, serverTime, onOpen }: { tile: Tile; stallMinutes: number; serverTime: string; onOpen: () => void }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const n = (v: number, digits = 0) => formatNumber(v, lang, digits);
  const skewMinutes = Math.round(Math.abs(tile.clockOffsetMs) / 60_000);
  const live = (v: number) => (tile.online ? n(v) : t('tile.unknown'));
  const lastKnown = (v: number) => (tile.online ? undefined : t('tile.lastKnown', { value: n(v) }));
  return (
    <article
      className={`station${tile.online ? '' : ' station--offline'}`}
      aria-label={tile.name}
      data-testid="station-tile"
      data-station={tile.name}
      data-online={tile.online}
      onClick={onOpen}
    >
      <header className="station__head">
        <h3 className="station__name">{tile.name}</h3>
        <span className={`badge ${tile.online ? 'badge--online' : 'badge--offline'}`} data-testid="station-online">
          <Icon name={tile.online ? 'online' : 'offline'} size={16} /> {tile.online ? t('tile.online') : t('tile.offline')}
        </span>
      </header>
      {!tile.online && (
        <p className="station__offline" role="status" data-testid="station-offline">
          <strong>{t('tile.offlineBanner')}</strong> · <span data-testid="last-seen">{lastSeenWords(t, tile.lastSeen, serverTime)}</span>
        </p>
      )}
      {tile.online && (
        <p className="station__meta" data-testid="last-seen">
          {lastSeenWords(t, tile.lastSeen, serverTime)}
        </p>
      )}
      <p className="station__meta">
        {tile.shiftId ? (tile.shiftOpen ? t('tile.shift', { id: tile.shiftId }) : t('tile.shiftClosed', { id: tile.shiftId })) : t('tile.noShift')}
      </p>
      <p className="station__meta">
        <span className="muted">{t('tile.operators')}: </span>
        {tile.operators.length > 0 ? tile.operators.join(', ') : t('tile.noOperators')}
      </p>
      <div className="station__figures">
        <Figure label={t('tile.wip')} value={live(tile.wip)} tone={tile.online ? 'running' : 'unknown'} testId="wip" note={lastKnown(tile.wip)} />
        <Figure label={t('tile.done')} value={n(tile.done)} tone="done" testId="done" />
        <Figure label={t('tile.failed')} value={n(tile.failed)} tone={tile.failed > 0 ? 'failed' : undefined} testId="failed" />
        <Figure label={t('tile.perHour')} value={n(tile.devicesPerHour, 1)} testId="per-hour" />
        <Figure label={t('tile.fpy')} value={tile.firstPassYield === null ? '–' : `${n(tile.firstPassYield * 100, 1)} %`} testId="fpy" />
        <Figure
          label={t('tile.stalled', { minutes: stallMinutes })}
          value={live(tile.stalled)}
          tone={!tile.online ? 'unknown' : tile.stalled > 0 ? 'waiting' : undefined}
          testId="stalled"
          note={lastKnown(tile.stalled)}
        />
      </div>
      {tile.backlog !== null && tile.backlog > 0 && <p className="station__note">{t('tile.backlog', { count: tile.backlog })}</p>}
      {tile.deadLetters > 0 && (
        <p className="station__note station__note--alert" data-testid="dead-letters">
          {t('tile.deadLetters', { count: tile.deadLetters })}
        </p>
      )}
      {skewMinutes >= 2 && <p className="station__note">{t('tile.clockSkew', { minutes: skewMinutes })}</p>}
      {tile.stationId && (
        <button
          className="btn btn--small station__open"
          type="button"
          aria-label={t('tile.open', { name: tile.name })}
          data-testid="station-open"
          onClick={(e) => {
            e.stopPropagation();
            onOpen();
          }}
        >
          <Icon name="details" size={18} /> {t('tile.openShort')}
        </button>
      )}
    </article>
  );
}
