import { useTranslation } from 'react-i18next';
import type { StationTile as Tile } from '../../../../shared/contract/hub-api.js';
import { formatNumber, formatTime } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';

function Figure({ label, value, tone, testId }: { label: string; value: string; tone?: string; testId: string }) {
  return (
    <div className={`figure${tone ? ` figure--${tone}` : ''}`}>
      <span className="figure__value" data-testid={testId}>
        {value}
      </span>
      <span className="figure__label">{label}</span>
    </div>
  );
}

/** One station on the floor: online state, shift and operators, and the shift's numbers. */
export function StationTile({ tile, stallMinutes }: { tile: Tile; stallMinutes: number }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const n = (v: number, digits = 0) => formatNumber(v, lang, digits);
  const skewMinutes = Math.round(Math.abs(tile.clockOffsetMs) / 60_000);
  return (
    <article className={`station${tile.online ? '' : ' station--offline'}`} aria-label={tile.name} data-testid="station-tile" data-station={tile.name}>
      <header className="station__head">
        <h3 className="station__name">{tile.name}</h3>
        <span className={`badge ${tile.online ? 'badge--online' : 'badge--offline'}`} data-testid="station-online">
          <span aria-hidden="true">{tile.online ? '●' : '○'}</span> {tile.online ? t('tile.online') : t('tile.offline')}
        </span>
      </header>
      <p className="station__meta">{tile.lastSeen ? t('tile.lastSeen', { time: formatTime(tile.lastSeen, lang, true) }) : t('tile.neverSeen')}</p>
      <p className="station__meta">
        {tile.shiftId ? (tile.shiftOpen ? t('tile.shift', { id: tile.shiftId }) : t('tile.shiftClosed', { id: tile.shiftId })) : t('tile.noShift')}
      </p>
      <p className="station__meta">
        <span className="muted">{t('tile.operators')}: </span>
        {tile.operators.length > 0 ? tile.operators.join(', ') : t('tile.noOperators')}
      </p>
      <div className="station__figures">
        <Figure label={t('tile.wip')} value={n(tile.wip)} tone="running" testId="wip" />
        <Figure label={t('tile.done')} value={n(tile.done)} tone="done" testId="done" />
        <Figure label={t('tile.failed')} value={n(tile.failed)} tone={tile.failed > 0 ? 'failed' : undefined} testId="failed" />
        <Figure label={t('tile.perHour')} value={n(tile.devicesPerHour, 1)} testId="per-hour" />
        <Figure label={t('tile.fpy')} value={tile.firstPassYield === null ? '–' : `${n(tile.firstPassYield * 100, 1)} %`} testId="fpy" />
        <Figure label={t('tile.stalled', { minutes: stallMinutes })} value={n(tile.stalled)} tone={tile.stalled > 0 ? 'waiting' : undefined} testId="stalled" />
      </div>
      {tile.backlog !== null && tile.backlog > 0 && <p className="station__note">{t('tile.backlog', { count: tile.backlog })}</p>}
      {tile.deadLetters > 0 && (
        <p className="station__note station__note--alert" data-testid="dead-letters">
          {t('tile.deadLetters', { count: tile.deadLetters })}
        </p>
      )}
      {skewMinutes >= 2 && <p className="station__note">{t('tile.clockSkew', { minutes: skewMinutes })}</p>}
    </article>
  );
}
