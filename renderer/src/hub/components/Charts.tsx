import type { ChartData, ChartOptions } from 'chart.js';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Dashboard } from '../../../../shared/contract/hub-api.js';
import { formatNumber, formatTime } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';
import { causeWords } from '../words.js';
import { ChartCanvas, SERIES_COLOURS } from './ChartCanvas.js';

export function PerHourChart({ perHour }: { perHour: Dashboard['perHour'] }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const stacked = perHour.series.length > 6;
  const data = useMemo<ChartData<'bar'>>(
    () => ({
      labels: perHour.hours.map((h) => formatTime(h, lang)),
      datasets: perHour.series.map((s, i) => ({
        label: s.name,
        data: s.counts,
        backgroundColor: SERIES_COLOURS[i % SERIES_COLOURS.length],
        borderWidth: 0,
      })),
    }),
    [perHour, lang],
  );
  const options = useMemo<ChartOptions<'bar'>>(
    () => ({
      scales: { x: { stacked }, y: { stacked, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: 'bottom' } },
    }),
    [stacked],
  );
  return (
    <section className="panel" aria-labelledby="chart-per-hour">
      <h2 id="chart-per-hour">{t('charts.perHour')}</h2>
      <ChartCanvas type="bar" data={data} options={options} label={t('charts.perHour')} />
    </section>
  );
}

export function CumulativeChart({ cumulative, target, hours }: { cumulative: Dashboard['cumulative']; target: number | null; hours: string }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const data = useMemo<ChartData<'line'>>(() => {
    const labels = cumulative.points.map((p) => formatTime(p.at, lang));
    const datasets: ChartData<'line'>['datasets'] = [
      {
        label: t('charts.cumulativeDone'),
        data: cumulative.points.map((p) => p.done),
        borderColor: '#4ade80',
        backgroundColor: '#4ade80',
        pointRadius: 2,
        borderWidth: 3,
      },
    ];
    if (target !== null) {
      // What the target expects by each hour: it is spread over the working hours, not due at dawn.
      datasets.push({
        label: t('charts.expected', { target: formatNumber(target, lang), hours }),
        data: cumulative.points.map((p) => p.expected ?? null),
        borderColor: '#f5a524',
        backgroundColor: '#f5a524',
        borderDash: [8, 6],
        pointRadius: 0,
        borderWidth: 2,
      });
    }
    return { labels, datasets };
  }, [cumulative, target, hours, lang, t]);
  const options = useMemo<ChartOptions<'line'>>(
    () => ({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { position: 'bottom' } } }),
    [],
  );
  return (
    <section className="panel" aria-labelledby="chart-cumulative">
      <h2 id="chart-cumulative">{t('charts.cumulative')}</h2>
      <ChartCanvas type="line" data={data} options={options} label={t('charts.cumulative')} />
    </section>
  );
}

/** Longest axis label; the whole cause is in the tooltip and the table. */
const LABEL_MAX = 42;

function shortLabel(text: string): string {
  return text.length <= LABEL_MAX ? text : `${text.slice(0, LABEL_MAX - 1)}…`;
}

function CauseTable({ entries, caption, testId }: { entries: { step: string; cause: string; count: number }[]; caption: string; testId: string }) {
  const { t } = useTranslation();
  return (
    <table className="orders pareto__table" data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t('charts.step')}</th>
          <th scope="col">{t('charts.reason')}</th>
          <th scope="col" className="num">
            {t('charts.count')}
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((p) => (
          <tr key={`${p.step}|${p.cause}`}>
            <td>{p.step}</td>
            <td>{p.cause}</td>
            <td className="num">{p.count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Runs that failed today by step and cause (bars, with the cumulative share), the causes in the
 * dashboard's language; the automatic retries the pipeline made on its own listed apart.
 */
export function ParetoChart({ pareto, retried }: { pareto: Dashboard['pareto']; retried: Dashboard['paretoRetried'] }) {
  const { t } = useTranslation();
  const lang = currentLanguage();
  const failed = useMemo(() => pareto.map((p) => ({ step: p.step, cause: causeWords(t, lang, p), count: p.count })), [pareto, t, lang]);
  const retries = useMemo(() => retried.map((p) => ({ step: p.step, cause: causeWords(t, lang, p), count: p.count })), [retried, t, lang]);
  const data = useMemo<ChartData<'bar' | 'line', number[], string>>(() => {
    const total = failed.reduce((n, p) => n + p.count, 0);
    const cumulativeShare: number[] = [];
    let running = 0;
    for (const p of failed) {
      running += p.count;
      cumulativeShare.push(total === 0 ? 0 : Math.round((running / total) * 1000) / 10);
    }
    return {
      labels: failed.map((p) => shortLabel(`${p.step} · ${p.cause}`)),
      datasets: [
        { type: 'bar' as const, label: t('charts.paretoCount'), data: failed.map((p) => p.count), backgroundColor: '#fb7185', yAxisID: 'y' },
        {
          type: 'line' as const,
          label: t('charts.paretoShare'),
          data: cumulativeShare,
          borderColor: '#c9d2dc',
          backgroundColor: '#c9d2dc',
          pointRadius: 3,
          yAxisID: 'share',
        },
      ],
    };
  }, [failed, t]);
  const options = useMemo<ChartOptions<'bar'>>(
    () => ({
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        share: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: { title: (items) => (items[0] ? `${failed[items[0].dataIndex]?.step ?? ''} · ${failed[items[0].dataIndex]?.cause ?? ''}` : '') },
        },
      },
    }),
    [failed],
  );
  return (
    <section className="panel" aria-labelledby="chart-pareto">
      <h2 id="chart-pareto">{t('charts.pareto')}</h2>
      {failed.length === 0 ? (
        <p className="muted">{t('charts.noFailures')}</p>
      ) : (
        <>
          <ChartCanvas type="bar" data={data as ChartData<'bar'>} options={options} label={t('charts.pareto')} />
          <CauseTable entries={failed} caption={t('charts.pareto')} testId="pareto-table" />
        </>
      )}
      {retries.length === 0 ? (
        <p className="muted">{t('charts.noRetries')}</p>
      ) : (
        <CauseTable entries={retries} caption={t('charts.retried')} testId="pareto-retried" />
      )}
    </section>
  );
}
