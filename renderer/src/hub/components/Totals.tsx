import { useTranslation } from 'react-i18next';
import type { Dashboard } from '../../../../shared/contract/hub-api.js';
import { formatNumber } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';

/**
 * The floor's totals as the hub computes them: live figures only from the stations it hears from,
 * an offline station's numbers apart as "unknown". "Stalled" leads to the list of stalled runs.
 */
export function Totals({ data }: { data: Dashboard }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const n = (v: number) => formatNumber(v, lang);
  const { totals } = data;
  const today = data.cumulative.points.at(-1)?.done ?? 0;
  const items: { key: string; label: string; value: string; href?: string; tone?: string }[] = [
    { key: 'stations', label: t('summary.stations'), value: `${totals.online} / ${totals.stations}` },
    { key: 'wip', label: t('summary.wip'), value: n(totals.wip) },
    { key: 'done', label: t('summary.done'), value: n(totals.done) },
    { key: 'failed', label: t('summary.failed'), value: n(totals.failed) },
    { key: 'stalled', label: t('summary.stalled'), value: n(totals.stalled), href: '#stalled', tone: totals.stalled > 0 ? 'waiting' : undefined },
    { key: 'today', label: t('summary.today'), value: n(today) },
    { key: 'expected', label: t('summary.expected'), value: data.expectedByNow === null ? '–' : formatNumber(data.expectedByNow, lang, 0) },
    { key: 'target', label: t('summary.target'), value: data.dailyTarget === null ? t('summary.noTarget') : n(data.dailyTarget) },
  ];
  if (totals.unknown.stations > 0) {
    items.push({ key: 'unknown', label: t('summary.unknown'), value: t('summary.unknownValue', { ...totals.unknown }), tone: 'unknown' });
  }
  return (
    <dl className="totals">
      {items.map((item) => (
        <div key={item.key} className={`totals__item${item.tone ? ` totals__item--${item.tone}` : ''}`}>
          <dt>{item.href ? <a href={item.href}>{item.label}</a> : item.label}</dt>
          <dd data-testid={`total-${item.key}`}>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}
