import type { ChartData, ChartOptions } from 'chart.js';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Dashboard } from '../../../../shared/contract/hub-api.js';
import { formatTime } from '../../common/format.js';
import { currentLanguage } from '../../common/i18n/index.js';
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

export function CumulativeChart({ cumulative, target }: { cumulative: Dashboard['cumulative']; target: number | null }) {
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
      datasets.push({
        label: t('charts.target'),
        data: labels.map(() => target),
        borderColor: '#f5a524',
        backgroundColor: '#f5a524',
        borderDash: [8, 6],
        pointRadius: 0,
        borderWidth: 2,
      });
    }
    return { labels, datasets };
  }, [cumulative, target, lang, t]);
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

export function ParetoChart({ pareto }: { pareto: Dashboard['pareto'] }) {
  const { t } = useTranslation();
  const data = useMemo<ChartData<'bar' | 'line', number[], string>>(() => {
    const total = pareto.reduce((n, p) => n + p.count, 0);
    const cumulativeShare: number[] = [];
    let running = 0;
    for (const p of pareto) {
      running += p.count;
      cumulativeShare.push(total === 0 ? 0 : Math.round((running / total) * 1000) / 10);
    }
    return {
      labels: pareto.map((p) => `${p.step} · ${p.reason}`),
      datasets: [
        { type: 'bar' as const, label: t('charts.paretoCount'), data: pareto.map((p) => p.count), backgroundColor: '#fb7185', yAxisID: 'y' },
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
  }, [pareto, t]);
  const options = useMemo<ChartOptions<'bar'>>(
    () => ({
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        share: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } },
      },
      plugins: { legend: { position: 'bottom' } },
    }),
    [],
  );
  return (
    <section className="panel" aria-labelledby="chart-pareto">
      <h2 id="chart-pareto">{t('charts.pareto')}</h2>
      {pareto.length === 0 ? (
        <p className="muted">{t('charts.noFailures')}</p>
      ) : (
        <ChartCanvas type="bar" data={data as ChartData<'bar'>} options={options} label={t('charts.pareto')} />
      )}
      {pareto.length > 0 && (
        <table className="visually-hidden">
          <tbody>
            {pareto.map((p) => (
              <tr key={`${p.step}|${p.reason}`}>
                <td>{p.step}</td>
                <td>{p.reason}</td>
                <td>{p.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
