import { useEffect, useRef } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { formatBytes } from '../lib/format';

export interface ChartSeries {
  label: string;
  /** One value per label; null: no sample that day. */
  values: (number | null)[];
}

type Palette = (name: string, alpha?: number) => string;

function chartConfig(kind: 'line' | 'bar', labels: string[], series: ChartSeries[], color: Palette, seriesColor: (index: number) => string): ChartConfiguration<'line' | 'bar', (number | null)[], string> {
  return {
    type: kind,
    data: {
      labels,
      datasets: series.map((one, index) => ({
        label: one.label,
        data: one.values,
        borderColor: color(seriesColor(index)),
        backgroundColor: color(seriesColor(index), kind === 'bar' ? 0.85 : 0.2),
        // points on a sparse series (a single sample would be invisible as a line), none on a dense one
        pointRadius: one.values.filter((value) => value !== null).length > 31 ? 0 : 3,
        spanGaps: true,
        tension: 0.2,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      color: color('slate-700'),
      scales: {
        x: { ticks: { color: color('slate-600'), maxTicksLimit: 8 }, grid: { color: color('slate-200') } },
        y: { beginAtZero: true, ticks: { color: color('slate-600'), precision: 0, callback: (value) => formatBytes(Number(value)) }, grid: { color: color('slate-200') } },
      },
      plugins: {
        legend: { display: series.length > 1, labels: { color: color('slate-700') } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${formatBytes(Number(item.parsed.y))}` } },
      },
    },
  };
}

/**
 * A line or bar chart of byte counts per day. The canvas is an image to
 * assistive technology with `summary` as its text; the numbers themselves are
 * in the table the caller puts beside it.
 */
export function HistoryChart({ kind, labels, series, summary }: { kind: 'line' | 'bar'; labels: string[]; series: ChartSeries[]; summary: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    let cancelled = false;
    let stop = () => {};
    // Chart.js loads with the first chart: pages without one never fetch it
    void import('../lib/charts').then(({ Chart, onThemeChange, paletteColor, seriesColor }) => {
      if (cancelled) return;
      const draw = () => new Chart(element, chartConfig(kind, labels, series, paletteColor, seriesColor));
      let chart = draw();
      // colours are read once per drawing: a switch to dark mode draws again
      const unsubscribe = onThemeChange(() => {
        chart.destroy();
        chart = draw();
      });
      stop = () => {
        unsubscribe();
        chart.destroy();
      };
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, [kind, labels, series]);

  return (
    <div className="relative h-56 min-w-0">
      <canvas ref={canvas} role="img" aria-label={summary} />
    </div>
  );
}
