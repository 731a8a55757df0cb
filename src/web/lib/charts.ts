/**
 * Chart.js, only the parts the overview draws (line and bar charts on a
 * category axis, tooltips, legend): tree-shaken, the rest never reaches the
 * bundle. Colours come from the palette's CSS variables, so the charts follow
 * dark mode like every other component.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

export { Chart };

/** Series colours in order (Tailwind palette names): distinct in light and dark mode alike. */
const SERIES = ['teal-600', 'amber-500', 'sky-600', 'red-600', 'green-600', 'slate-500'];

let probe: CanvasRenderingContext2D | null | undefined;

/**
 * A palette variable as rgb(): the variables hold oklch(), which Chart.js's own
 * colour maths (hover shades, transparency) does not read; the canvas converts it.
 */
export function paletteColor(name: string, alpha = 1): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--color-${name}`).trim();
  probe ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  if (!probe || !value) return value || 'gray';
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = value;
  probe.fillRect(0, 0, 1, 1);
  const [red, green, blue] = probe.getImageData(0, 0, 1, 1).data;
  return `rgb(${red ?? 0} ${green ?? 0} ${blue ?? 0} / ${alpha})`;
}

export function seriesColor(index: number): string {
  return SERIES[index % SERIES.length] ?? 'teal-600';
}

/** Calls `onChange` when the page switches between light and dark (the class on <html>); returns the unsubscribe. */
export function onThemeChange(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}
