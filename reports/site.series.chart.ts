import { escapeHtml } from './html.js';

/**
 * The chart of a site's NDVI time series as a standalone SVG (the dossier's `timeseries.svg`, shown on its page and
 * opened on its own): one dot per clear observation (filled when at least half of the site was seen clear, hollow
 * otherwise), the baseline and monitoring windows shaded, and the first detection marked by a dashed line. Dates
 * on a linear time axis with a tick per month; NDVI from −0.2 to 1 (values beyond are drawn on the edge). Pure.
 */

export interface SeriesChartPoint {
  date: string;
  period: 'baseline' | 'monitoring';
  medianNdvi: number;
  /** Share of the site's pixels seen clear, 0–1. */
  clearShare: number;
}

export interface SeriesChartModel {
  title: string;
  points: readonly SeriesChartPoint[];
  /** Each window's start and exclusive end (ISO 8601), and the window as written (`2021-06-01/2021-07-15`). */
  windows: Record<'baseline' | 'monitoring', { start: string; end: string; window: string }>;
  /** The first clear observation that showed the change (YYYY-MM-DD), if dated. */
  detected: string | null;
}

const [WIDTH, HEIGHT] = [720, 300];
const PLOT = { left: 48, right: WIDTH - 12, top: 34, bottom: HEIGHT - 46 };
const NDVI_RANGE = [-0.2, 1] as const;
const COLOURS = { baseline: '#2c7fb8', monitoring: '#d95f0e' } as const;

const dayOf = (date: string) => Date.parse(date.length === 10 ? `${date}T00:00:00Z` : date) / 86_400_000;
const f1 = (value: number) => value.toFixed(1);

/** The first day of each month from `start` to `end` (days since 1970). */
function monthTicks(start: number, end: number): Array<{ day: number; label: string }> {
  const ticks: Array<{ day: number; label: string }> = [];
  const first = new Date(start * 86_400_000);
  for (let month = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1)); ;) {
    const day = month.getTime() / 86_400_000;
    if (day > end) break;
    ticks.push({ day, label: month.toISOString().slice(0, 7) });
    month = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
  }
  return ticks;
}

export function seriesChart(model: SeriesChartModel): string {
  const { baseline, monitoring } = model.windows;
  const [start, end] = [dayOf(baseline.start), dayOf(monitoring.end)];
  const x = (day: number) => PLOT.left + ((day - start) / Math.max(1, end - start)) * (PLOT.right - PLOT.left);
  const y = (ndvi: number) => {
    const clamped = Math.min(NDVI_RANGE[1], Math.max(NDVI_RANGE[0], ndvi));
    return PLOT.bottom - ((clamped - NDVI_RANGE[0]) / (NDVI_RANGE[1] - NDVI_RANGE[0])) * (PLOT.bottom - PLOT.top);
  };
  const band = (name: 'baseline' | 'monitoring', window: SeriesChartModel['windows']['baseline']) => {
    const [x0, x1] = [x(dayOf(window.start)), x(dayOf(window.end))];
    return `<rect class="window" data-window="${name}" x="${f1(x0)}" y="${PLOT.top}" width="${f1(x1 - x0)}" height="${PLOT.bottom - PLOT.top}" fill="${COLOURS[name]}" fill-opacity="0.08"/><text x="${f1(x0 + 4)}" y="${PLOT.top + 12}" fill="${COLOURS[name]}">${name} ${escapeHtml(window.window)}</text>`;
  };
  const grid = [0, 0.2, 0.4, 0.6, 0.8, 1]
    .map(
      (v) =>
        `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${f1(y(v))}" y2="${f1(y(v))}" stroke="#ddd"/><text x="${PLOT.left - 6}" y="${f1(y(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`,
    )
    .join('');
  const months = monthTicks(start, end)
    .map(
      (tick) =>
        `<line x1="${f1(x(tick.day))}" x2="${f1(x(tick.day))}" y1="${PLOT.bottom}" y2="${PLOT.bottom + 4}" stroke="#555"/><text x="${f1(x(tick.day))}" y="${PLOT.bottom + 16}" text-anchor="${x(tick.day) > PLOT.right - 24 ? 'end' : 'middle'}">${tick.label}</text>`,
    )
    .join('');
  const detected = model.detected
    ? `<line class="detected" x1="${f1(x(dayOf(model.detected)))}" x2="${f1(x(dayOf(model.detected)))}" y1="${PLOT.top - 6}" y2="${PLOT.bottom}" stroke="#e31a1c" stroke-dasharray="4 3" stroke-width="1.5"/><text x="${f1(x(dayOf(model.detected)) - 4)}" y="${PLOT.top - 10}" text-anchor="end" fill="#e31a1c">first seen ${escapeHtml(model.detected)}</text>`
    : '';
  const dots = model.points
    .filter((point) => Number.isFinite(point.medianNdvi))
    .map((point) => {
      const colour = COLOURS[point.period];
      const fill = point.clearShare >= 0.5 ? colour : 'white';
      return `<circle class="point" data-date="${escapeHtml(point.date)}" data-ndvi="${point.medianNdvi}" cx="${f1(x(dayOf(point.date)))}" cy="${f1(y(point.medianNdvi))}" r="3.5" fill="${fill}" stroke="${colour}" stroke-width="1.5"><title>${escapeHtml(point.date)}: median NDVI ${point.medianNdvi.toFixed(3)}, ${Math.round(point.clearShare * 100)} % of the site clear</title></circle>`;
    })
    .join('');
  const legend = `<text x="${PLOT.left}" y="${HEIGHT - 8}">Median NDVI of the site's clear pixels per observation; filled: at least half of the site clear, hollow: less.</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" id="series" role="img" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11"><title>${escapeHtml(model.title)}</title><rect width="${WIDTH}" height="${HEIGHT}" fill="white"/><text x="${PLOT.left}" y="14" font-weight="bold">${escapeHtml(model.title)}</text>${band('baseline', baseline)}${band('monitoring', monitoring)}${grid}<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${PLOT.bottom}" y2="${PLOT.bottom}" stroke="#555"/>${months}<text transform="translate(12 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">NDVI</text>${detected}${dots}${legend}</svg>\n`;
}
