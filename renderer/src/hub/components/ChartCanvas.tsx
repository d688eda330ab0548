import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartData,
  type ChartOptions,
  type ChartType,
} from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);
Chart.defaults.color = '#c9d2dc';
Chart.defaults.borderColor = '#2f3843';
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', sans-serif";
Chart.defaults.font.size = 14;

/** Colours for series, distinguishable on the dark background (and by legend label, never colour alone). */
export const SERIES_COLOURS = [
  '#60a5fa',
  '#4ade80',
  '#f5a524',
  '#f472b6',
  '#a78bfa',
  '#22d3ee',
  '#fb7185',
  '#facc15',
  '#34d399',
  '#c084fc',
  '#f97316',
  '#94a3b8',
];

interface Props<T extends ChartType> {
  type: T;
  data: ChartData<T>;
  options: ChartOptions<T>;
  label: string;
}

/**
 * One Chart.js chart on a canvas. The chart is created once and its data replaced on every update
 * without animation, so a live feed does not make it flicker.
 */
export function ChartCanvas<T extends ChartType>({ type, data, options, label }: Props<T>) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<T> | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    const config = { type, data, options: { ...options, animation: false, responsive: true, maintainAspectRatio: false } } as ChartConfiguration<T>;
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // Created once per type; data and options follow below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [type]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = data;
    c.options = { ...options, animation: false, responsive: true, maintainAspectRatio: false };
    c.update('none');
  }, [data, options]);

  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
