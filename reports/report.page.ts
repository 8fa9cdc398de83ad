import { escapeHtml } from './html.js';
import { MAP_STYLE, mapSection, type PageMap } from './map.section.js';
import { accuracySection, type AccuracyAsset } from './accuracy.js';
import type { AreaGeometry } from '../aoi/geometry.js';
import { leadProduct, productOf } from '../workers/products/index.js';
import type { SiteProperties } from './site.properties.js';
import { SEASONAL_MISMATCH, type LastClearSummary, type Summary, type Tally, type ZoneVersion } from './summary.js';

/**
 * The HTML pages report authors open: one per AOI and run, and the index of all AOIs. Pure: models in, strings
 * out. Self-contained (inline CSS, inline SVG, a few lines of inline script, images by relative links), so a page
 * works from a folder, an S3 static-website endpoint or a copy on a laptop with no network.
 */

export interface LegendRow {
  /** RRGGBB. */
  colour: string;
  label: string;
}

export interface HistoryPoint {
  itemId: string;
  monitoring: string;
  lossHa: number;
  lossHighHa: number;
  clearMonitoring: number;
  href?: string;
}

export interface ReportPageModel {
  summary: Summary;
  runId: string;
  /** Hrefs relative to the page. */
  itemHref: string;
  assetHrefs: Record<string, string>;
  indexHref: string;
  geometry: AreaGeometry;
  zones: Array<{ id: string; name: string; geometry: AreaGeometry }>;
  legend: LegendRow[];
  history: HistoryPoint[];
  /** The AOI's sites as published (`<aoi>/sites.geojson`); merged ones are left out. */
  sites?: SiteRow[];
  /** Href of the sites document, relative to the page. */
  sitesHref?: string;
  /** Href of each site's dossier page (`<aoi>/sites/<id>/index.html`) relative to the page, by site id; sites
   * without a published dossier are not linked. */
  dossierHrefs?: Record<string, string>;
  /** The item's accuracy assessments (`assess publish`). */
  accuracy?: AccuracyAsset[];
  /** The interactive map, when the map script is built. */
  map?: PageMap;
}

/** One site in the report's table. */
export type SiteRow = Pick<
  SiteProperties,
  'site' | 'product' | 'state' | 'hectares' | 'first_seen' | 'last_change' | 'zones' | 'zone_versions'
>;

export interface IndexRow {
  aoi: string;
  name: string;
  kind: string;
  lastRun: string | null;
  lastOutcome: string | null;
  lastEndedAt: string | null;
  lastReason: string | null;
  report?: { href: string; monitoring: string; lossHa: number; lossHighHa: number; clearMonitoring: number };
}

const ha = (value: number) => value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;

const STYLE = `
body{font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d1d1d;background:#fafaf7}
header,main,footer{max-width:1100px;margin:0 auto;padding:12px 20px}
header{border-bottom:3px solid #238443}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.4em 0}th,td{padding:3px 10px;border-bottom:1px solid #e3e3e3;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.headline{font-size:1.1em;background:#fff;border:1px solid #ddd;padding:10px 14px}.warn{color:#8a4b00;font-size:.9em}
.compare{position:relative;display:inline-block;max-width:100%;border:1px solid #bbb;background:#fff}
.compare img{display:block;max-width:100%;height:auto;image-rendering:pixelated}
.compare img.top{position:absolute;top:0;left:0}
.controls{margin:6px 0}.controls label{margin-right:14px}
.legend span.sw{display:inline-block;width:14px;height:14px;border:1px solid #555;vertical-align:-2px;margin-right:6px}
.caveats li{margin:.3em 0}.muted{color:#666}pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto}
.cite{background:#fff;border-left:4px solid #238443;padding:8px 12px;font-family:"DejaVu Sans Mono",monospace;font-size:.9em}
svg text{font:11px "DejaVu Sans",sans-serif}a.csv{font-size:.8em;margin-left:4px}
`;

function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}${MAP_STYLE}</style>
</head>
<body>
${body}
${script ? `<script>${script}</script>` : ''}
</body>
</html>
`;
}

/** The AOI outline and zones as SVG, lon/lat scaled by cos(latitude) so shapes keep their proportions. */
function outlineSvg(geometry: AreaGeometry, zones: ReportPageModel['zones']): string {
  const polygons = (g: AreaGeometry) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
  const all = [geometry, ...zones.map((zone) => zone.geometry)].flatMap(polygons).flat(2);
  const lons = all.map((p) => p[0]!);
  const lats = all.map((p) => p[1]!);
  const [west, east, south, north] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const k = Math.cos((((south + north) / 2) * Math.PI) / 180);
  const width = 320;
  const scale = width / Math.max((east - west) * k, 1e-9);
  const height = Math.max(40, Math.min(420, (north - south) * scale));
  const path = (g: AreaGeometry) =>
    polygons(g)
      .flatMap((rings) =>
        rings.map(
          (ring) =>
            `M${ring.map((p) => `${((p[0]! - west) * k * scale).toFixed(1)},${((north - p[1]!) * scale).toFixed(1)}`).join('L')}Z`,
        ),
      )
      .join('');
  const zonePaths = zones
    .map(
      (zone) =>
        `<path d="${path(zone.geometry)}" fill="#fdae61" fill-opacity=".35" stroke="#d7301f" stroke-width="1"><title>${escapeHtml(zone.name)}</title></path>`,
    )
    .join('');
  return `<svg id="outline" role="img" aria-label="AOI outline" viewBox="-4 -4 ${width + 8} ${(height + 8).toFixed(1)}" width="${width + 8}" height="${(height + 8).toFixed(1)}"><path d="${path(geometry)}" fill="#238443" fill-opacity=".12" stroke="#238443" stroke-width="1.5" fill-rule="evenodd"/>${zonePaths}</svg>`;
}

/**
 * Every published period of the AOI, oldest first: the change (red high, orange low confidence) and, beside each
 * bar, the share of the AOI seen clear in that monitoring window (grey, 0–100 %), so a low bar over a mostly unseen
 * AOI reads as a gap, not as calm.
 */
function historyChart(points: HistoryPoint[]): string {
  if (points.length === 0) return '<p class="muted">No published period yet.</p>';
  const max = Math.max(...points.map((p) => p.lossHa), 1e-9);
  const [bar, gap, seen, height, plot] = [40, 22, 10, 180, 130];
  const bars = points
    .map((p, i) => {
      const h = (p.lossHa / max) * plot;
      const hh = (p.lossHighHa / max) * plot;
      const c = p.clearMonitoring * plot;
      const x = 30 + i * (bar + seen + gap);
      const base = height - 30;
      return `<g data-period="${escapeHtml(p.monitoring)}"><title>${escapeHtml(p.monitoring)}: ${ha(p.lossHa)} ha (${ha(p.lossHighHa)} ha high confidence), ${percent(p.clearMonitoring)} of the AOI seen clear</title><rect x="${x}" y="${(base - h).toFixed(1)}" width="${bar}" height="${h.toFixed(1)}" fill="#fd8d3c"/><rect x="${x}" y="${(base - hh).toFixed(1)}" width="${bar}" height="${hh.toFixed(1)}" fill="#e31a1c"/><rect class="seen" x="${x + bar + 2}" y="${(base - plot).toFixed(1)}" width="${seen - 2}" height="${plot}" fill="none" stroke="#999"/><rect class="seen" x="${x + bar + 2}" y="${(base - c).toFixed(1)}" width="${seen - 2}" height="${c.toFixed(1)}" fill="#999"/><text x="${x + bar / 2}" y="${(base - 4 - h).toFixed(1)}" text-anchor="middle">${ha(p.lossHa)}</text><text x="${x + (bar + seen) / 2}" y="${height - 16}" text-anchor="middle">${escapeHtml(p.monitoring.slice(0, 10))}</text><text x="${x + (bar + seen) / 2}" y="${height - 4}" text-anchor="middle" fill="#666">${percent(p.clearMonitoring)} seen</text></g>`;
    })
    .join('');
  const width = 40 + points.length * (bar + seen + gap);
  return `<svg id="history" role="img" aria-label="Change per monitoring period" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><line x1="26" y1="${height - 30}" x2="${width}" y2="${height - 30}" stroke="#888"/>${bars}</svg><p class="muted">Hectares per published monitoring period, oldest first (red: high confidence; orange: low); the grey bar beside each is the share of the AOI seen clear in that window (full = 100 %).</p>`;
}

function tallyRows(tallies: Record<string, Tally>, total: number, kind: string): string {
  return Object.entries(tallies)
    .map(
      ([name, tally]) =>
        `<tr data-${kind}="${escapeHtml(name)}"><td>${escapeHtml(name)}</td><td class="n" data-hectares="${tally.hectares}">${ha(tally.hectares)}</td><td class="n" data-pixels="${tally.pixels}">${tally.pixels.toLocaleString('en-US')}</td><td class="n">${total > 0 ? percent(tally.hectares / total) : '-'}</td></tr>`,
    )
    .join('');
}

/** The lead product (forest loss): its change class, the noun its figures are read with. */
function leadOf(summary: Summary) {
  const product = leadProduct(Object.keys(summary.products));
  if (!product?.preview || !product.confidence) return undefined;
  const change = product.classes.find((entry) => entry.value === product.confidence!.changeClass)!.name;
  return { product, change, noun: product.preview.noun, figures: summary.products[product.type]! };
}

type Lead = NonNullable<ReturnType<typeof leadOf>>;
type Asset = (key: string) => string;

function classTable(id: string, tallies: Record<string, Tally>, total: number, kind: string, heading: string): string {
  return `<table id="${escapeHtml(id)}"><thead><tr><th>${escapeHtml(heading)}</th><th class="n">hectares</th><th class="n">pixels</th><th class="n">share of AOI</th></tr></thead><tbody>${tallyRows(tallies, total, kind)}</tbody></table>`;
}

/** The products besides the lead, each with its class table and raster, and the analyses not computed. */
function otherProducts(summary: Summary, lead: string | undefined, asset: Asset): string {
  const total = summary.aoi.gridHectares;
  const sections = Object.entries(summary.products)
    .filter(([name]) => name !== lead)
    .map(
      ([name, product]) =>
        `<h3>${escapeHtml(productOf(name).title)}</h3>${classTable(`classes-${name}`, product.classes, total, 'class', 'class')}<p class="muted">${product.patches.kept.toLocaleString('en-US')} patches kept, ${product.patches.belowMinimumMappingUnit.toLocaleString('en-US')} dropped by the patch rule · <a href="${asset(name)}">${escapeHtml(name)}.tif</a></p>`,
    );
  const skipped = Object.entries(summary.analyses.notComputed).map(
    ([name, reason]) =>
      `<li data-not-computed="${escapeHtml(name)}"><b>${escapeHtml(name)}</b>: ${escapeHtml(reason)}</li>`,
  );
  if (sections.length === 0 && skipped.length === 0) return '';
  return `<h2>Other change products</h2>${sections.join('')}${skipped.length > 0 ? `<p>Asked for but not analysed:</p><ul id="not-computed">${skipped.join('')}</ul>` : ''}`;
}

function header(model: ReportPageModel): string {
  const { summary } = model;
  const { baseline, monitoring } = summary.periods;
  return `<header>
<p class="muted"><a href="${escapeHtml(model.indexHref)}">All areas</a> · run <code id="run-id">${escapeHtml(model.runId)}</code> · changewatch ${escapeHtml(summary.software.version)}</p>
<h1>${escapeHtml(summary.aoi.name)}</h1>
<p>${escapeHtml(summary.aoi.kind)} · <span data-aoi-hectares="${summary.aoi.hectares}">${ha(summary.aoi.hectares)}</span> ha · monitoring <b>${escapeHtml(monitoring.window)}</b> against baseline <b>${escapeHtml(baseline.window)}</b></p>
</header>`;
}

/** The change as a share of the extent it happened in, when the product names that extent. */
function shareOfExtent(lead: Lead): string {
  const extent = lead.product.preview?.extent;
  if (!extent) return '';
  const hectares = extent.classes.reduce((sum, name) => sum + (lead.figures.classes[name]?.hectares ?? 0), 0);
  const change = lead.figures.classes[lead.change]?.hectares ?? 0;
  if (hectares <= 0) return '';
  return ` <span id="share">(${percent(change / hectares)} of ${escapeHtml(extent.name)}, ${ha(hectares)} ha)</span>`;
}

function headline(summary: Summary, lead: Lead): string {
  const { figures } = lead;
  const change = figures.classes[lead.change] ?? { pixels: 0, hectares: 0 };
  const { baseline, monitoring } = summary.periods;
  // The seasonal caveat belongs next to the figure it qualifies, not only in the list far below.
  const seasonal = summary.caveats.find((caveat) => caveat.includes(SEASONAL_MISMATCH));
  const warning = seasonal ? `<br><span class="warn" id="headline-caveat">⚠ ${escapeHtml(seasonal)}</span>` : '';
  return `<p class="headline" id="headline"><b data-hectares="${change.hectares}">${ha(change.hectares)} ha</b> of ${escapeHtml(lead.noun)}${shareOfExtent(lead)} (${ha(figures.confidence.high?.hectares ?? 0)} ha high confidence, ${ha(figures.confidence.low?.hectares ?? 0)} ha low) in ${figures.patches.kept.toLocaleString('en-US')} patches. Seen clear: ${percent(baseline.clearFraction)} of the AOI in the baseline, ${percent(monitoring.clearFraction)} in the monitoring period.${warning}</p>`;
}

function beforeAfter(model: ReportPageModel, noun: string, asset: Asset): string {
  const { baseline, monitoring } = model.summary.periods;
  return `<h2>Before and after</h2>
<div class="controls">
<label>Compare <input type="range" id="compare" min="0" max="100" value="50" aria-label="before/after divider"></label>
<label><input type="radio" name="after" value="change" checked> after with ${escapeHtml(noun)}</label>
<label><input type="radio" name="after" value="monitoring"> after (NDVI only)</label>
</div>
<div class="compare" id="compare-view">
<img id="before" src="${asset('preview-baseline')}" alt="Baseline NDVI, ${escapeHtml(baseline.window)}">
<img id="after" class="top" src="${asset('preview-change')}" data-change="${asset('preview-change')}" data-monitoring="${asset('preview-monitoring')}" alt="Monitoring NDVI with ${escapeHtml(noun)}, ${escapeHtml(monitoring.window)}" style="clip-path: inset(0 0 0 50%)">
</div>
<p class="muted">Left of the divider: baseline (${escapeHtml(baseline.window)}); right: monitoring (${escapeHtml(monitoring.window)}).</p>
<div class="legend" id="legend">${model.legend.map((row) => `<div><span class="sw" style="background:#${escapeHtml(row.colour)}"></span>${escapeHtml(row.label)}</div>`).join('')}<div class="muted">Areas in hectares (geodesic, WGS84); NDVI is unitless.</div></div>`;
}

const STATUS_WORDS = { 'in-force': 'in force', expired: 'expired', 'not-yet-valid': 'not yet valid' } as const;

/** Which version of a zone the figures use: "in force (2021-05-11..open)", "expired (..2024-05-10)"; "-" undated. */
function versionText(version: ZoneVersion): string {
  if (version.validFrom === null && version.validTo === null) return '-';
  return `${STATUS_WORDS[version.status]} (${version.validFrom ?? 'open'}..${version.validTo ?? 'open'})`;
}

function zonesTable(lead: Lead): string {
  const zones = Object.entries(lead.figures.zones);
  if (zones.length === 0) return '';
  const rows = zones
    .map(([id, zone]) => {
      const change = zone.classes[lead.change]?.hectares ?? 0;
      return `<tr data-zone="${escapeHtml(id)}"><td>${escapeHtml(zone.name)}</td><td class="n">${ha(zone.hectares)}</td><td class="n" data-hectares="${change}">${ha(change)}</td><td class="n">${ha(zone.confidence.high?.hectares ?? 0)}</td><td class="n">${ha(zone.confidence.low?.hectares ?? 0)}</td><td class="n">${percent(zone.clearFraction.baseline)} / ${percent(zone.clearFraction.monitoring)}</td><td data-status="${zone.version.status}">${escapeHtml(versionText(zone.version))}</td></tr>`;
    })
    .join('');
  return `<h3>By zone</h3><table id="zones"><thead><tr><th>zone</th><th class="n">zone ha</th><th class="n">${escapeHtml(lead.change)} ha</th><th class="n">high</th><th class="n">low</th><th class="n">seen clear (baseline / monitoring)</th><th>version (valid from..to)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function leadClasses(summary: Summary, lead: Lead): string {
  const total = summary.aoi.gridHectares;
  const { baseline, monitoring } = summary.periods;
  return `<h2>Hectares by class</h2>
${classTable('classes', lead.figures.classes, total, 'class', 'class')}
${classTable('confidence', lead.figures.confidence, total, 'confidence', `${lead.noun} confidence`)}
<p class="muted">Seen clear at least once: <span id="clear-baseline" data-fraction="${baseline.clearFraction}">${percent(baseline.clearFraction)}</span> (baseline), <span id="clear-monitoring" data-fraction="${monitoring.clearFraction}">${percent(monitoring.clearFraction)}</span> (monitoring). "not-seen" ground has no finding either way.</p>
${zonesTable(lead)}`;
}

/** When most of the AOI and of each zone was last seen clear, and how much of it lately: "not seen" is not "no change". */
function notSeenTable(summary: Summary): string {
  const { lastClear } = summary;
  const row = (key: string, name: string, figures: LastClearSummary) =>
    `<tr data-last-clear="${escapeHtml(key)}"><td>${escapeHtml(name)}</td><td data-date="${figures.mostSeenOn ?? ''}">${figures.mostSeenOn ?? 'not in this window'}</td><td class="n">${percent(figures.seenWithin.days30)}</td><td class="n">${percent(figures.seenWithin.days60)}</td><td class="n">${percent(figures.seenWithin.days90)}</td></tr>`;
  const rows = [
    row('', `${summary.aoi.name} (whole AOI)`, lastClear.aoi),
    ...Object.entries(lastClear.zones).map(([id, zone]) => {
      const version = versionText(zone.version);
      return row(id, version === '-' ? zone.name : `${zone.name}, ${version}`, zone);
    }),
  ].join('');
  return `<h2>What was not seen</h2>
<p class="muted">Ground not seen clear has no finding either way. "Most of it last seen clear" is the median of the pixels' last clear dates in the monitoring window (the <code>last-clear</code> raster); shares count the pixels seen clear in the last 30, 60 and 90 days before the window's end (${escapeHtml(lastClear.windowEnd)}, exclusive).</p>
<table id="last-clear"><thead><tr><th>area</th><th>most of it last seen clear</th><th class="n">seen, last 30 days</th><th class="n">60 days</th><th class="n">90 days</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function scenesTable(summary: Summary): string {
  const { baseline, monitoring } = summary.periods;
  const scenes = [
    ...baseline.scenes.map((scene) => ({ ...scene, period: 'baseline' })),
    ...monitoring.scenes.map((scene) => ({ ...scene, period: 'monitoring' })),
  ];
  const rows = scenes
    .map(
      (scene) =>
        `<tr><td>${scene.period}</td><td>${scene.href ? `<a href="${escapeHtml(scene.href)}" title="the scene's STAC item">${escapeHtml(scene.id)}</a>` : escapeHtml(scene.id)}</td><td>${escapeHtml(scene.datetime.slice(0, 19).replace('T', ' '))}</td><td class="n">${scene.cloudCover === null ? '?' : `${scene.cloudCover.toFixed(1)} %`}</td><td>${escapeHtml(scene.collection)}</td></tr>`,
    )
    .join('');
  return `<h2>Scenes used</h2>
<table id="scenes"><thead><tr><th>period</th><th>scene</th><th>date (UTC)</th><th class="n">cloud cover</th><th>collection</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Every product's class rasters (and confidence), the composites, the polygons, the summary and the item. */
function downloads(model: ReportPageModel, asset: Asset): string {
  const link = (key: string) => `<a href="${asset(key)}">${escapeHtml(key)}.tif</a>`;
  const products = Object.keys(model.summary.products).map((name) => {
    const confidence = model.summary.assets[`${name}-confidence`] ? ` and ${link(`${name}-confidence`)}` : '';
    return `<li>${link(name)}${confidence} — ${escapeHtml(productOf(name).title)} (COG)</li>`;
  });
  const composites = [
    'ndvi-baseline',
    'ndvi-monitoring',
    'clear-count-baseline',
    'clear-count-monitoring',
    'last-clear',
  ];
  return `<h2>Downloads</h2>
<ul id="downloads">
${products.join('\n')}
<li>${composites.map(link).join(', ')} — composites (COG)</li>
<li><a href="${asset('polygons')}">polygons.geojson</a> — change patches with hectares, confidence and first date seen</li>
<li><a href="${asset('summary')}">summary.json</a> — every figure, scene and parameter, with checksums</li>
<li><a href="${escapeHtml(model.itemHref)}">STAC item</a></li>
</ul>`;
}

function citation(model: ReportPageModel, noun: string): string {
  const { summary } = model;
  const { baseline, monitoring } = summary.periods;
  const ids = [...baseline.scenes, ...monitoring.scenes].map((scene) => scene.id);
  return `changewatch ${summary.software.version}, run ${model.runId}, item ${summary.item} (inputs ${summary.inputs}). ${noun.charAt(0).toUpperCase()}${noun.slice(1)} in ${summary.aoi.name}, monitoring ${monitoring.window} against baseline ${baseline.window}. Scenes: ${ids.join(', ')}. Contains modified Copernicus Sentinel and/or USGS Landsat data.`;
}

/** A site's id, linked to its dossier when it has one. */
const siteCell = (site: string, dossier: string | undefined) =>
  dossier ? `<a class="dossier" href="${escapeHtml(dossier)}">${escapeHtml(site)}</a>` : escapeHtml(site);

/** A site's zones, each versioned one with what it was when the site was first seen when that was not in force. */
function siteZones(site: SiteRow): string {
  const zones = Object.keys(site.zones).map((id) => {
    const version = site.zone_versions?.[id];
    return version && version.status !== 'in-force' ? `${id} (${STATUS_WORDS[version.status]})` : id;
  });
  return zones.join(', ') || '-';
}

/** The sites, largest first; a click on a column heading sorts by it (numbers as numbers). */
function sitesTable(model: ReportPageModel): string {
  const sites = [...(model.sites ?? [])].sort((a, b) => b.hectares - a.hectares);
  if (sites.length === 0) return '';
  const rows = sites
    .map(
      (site) =>
        `<tr data-site="${escapeHtml(site.site)}"><td>${siteCell(site.site, model.dossierHrefs?.[site.site])}</td><td>${escapeHtml(site.product)}</td><td>${escapeHtml(site.state)}</td><td class="n" data-value="${site.hectares}">${ha(site.hectares)}</td><td>${escapeHtml(site.first_seen ?? '-')}</td><td>${escapeHtml(site.last_change)}</td><td>${escapeHtml(siteZones(site))}</td></tr>`,
    )
    .join('');
  const heads = ['site', 'product', 'state', 'hectares', 'first seen', 'last change', 'zones'];
  return `<h2>Sites</h2><p class="muted">Change followed across runs under stable ids (<a href="${escapeHtml(model.sitesHref ?? '#')}">sites.geojson</a>); click a heading to sort, a site for its evidence dossier.</p><table id="sites"><thead><tr>${heads.map((head, k) => `<th data-column="${k}"${head === 'hectares' ? ' class="n"' : ''}>${head}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

const SORT_SCRIPT = `
for (const th of document.querySelectorAll('#sites th')) {
  th.style.cursor = 'pointer';
  th.addEventListener('click', () => {
    const body = document.querySelector('#sites tbody');
    const k = Number(th.dataset.column);
    const value = (row) => { const cell = row.children[k]; return cell.dataset.value !== undefined ? Number(cell.dataset.value) : cell.textContent; };
    const down = th.dataset.order !== 'down';
    th.dataset.order = down ? 'down' : 'up';
    const rows = [...body.children].sort((a, b) => { const [x, y] = [value(a), value(b)]; return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1); });
    for (const row of rows) body.appendChild(row);
  });
}`;

/** A "CSV" link after every table: its header and rows as they are shown (sorted as the reader sorted them). */
const CSV_SCRIPT = `
const csvField = (text) => /[",\\r\\n]/.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text;
for (const table of document.querySelectorAll('main table[id]')) {
  const link = document.createElement('a');
  link.textContent = 'CSV';
  link.className = 'csv';
  link.href = '#';
  link.download = document.title.replace(/[^A-Za-z0-9-]+/g, '-') + '-' + table.id + '.csv';
  link.addEventListener('click', () => {
    const rows = [...table.querySelectorAll('tr')].map((row) => [...row.children].map((cell) => csvField(cell.textContent.trim())).join(','));
    link.href = URL.createObjectURL(new Blob([rows.join('\\r\\n') + '\\r\\n'], { type: 'text/csv' }));
  });
  table.after(link);
}`;

const COMPARE_SCRIPT = `
const after = document.getElementById('after');
const slider = document.getElementById('compare');
const clip = () => { after.style.clipPath = 'inset(0 0 0 ' + slider.value + '%)'; };
slider.addEventListener('input', clip);
for (const radio of document.querySelectorAll('input[name=after]')) {
  radio.addEventListener('change', () => { after.src = after.dataset[radio.value]; });
}
clip();`;

export function reportPage(model: ReportPageModel): string {
  const { summary } = model;
  const lead = leadOf(summary);
  const noun = lead?.noun ?? 'change';
  const asset = (key: string) => escapeHtml(model.assetHrefs[key] ?? '#');
  const body = `${header(model)}
<main>
${lead ? headline(summary, lead) : ''}

${mapSection(model.map)}
${beforeAfter(model, noun, asset)}
<h2>Area of interest</h2>
${outlineSvg(model.geometry, model.zones)}

${lead ? leadClasses(summary, lead) : ''}
${accuracySection(model.accuracy ?? [], summary.inputs)}

${notSeenTable(summary)}

${otherProducts(summary, lead?.product.type, asset)}
${sitesTable(model)}
<h2>Change over the run history</h2>
${historyChart(model.history)}

<h2>What to keep in mind</h2>
<ul class="caveats" id="caveats">${summary.caveats.map((caveat) => `<li>${escapeHtml(caveat)}</li>`).join('')}</ul>

${scenesTable(summary)}

<h2>Parameters</h2>
<pre id="parameters">${escapeHtml(JSON.stringify(summary.parameters, null, 2))}</pre>

${downloads(model, asset)}

<h2>Cite this</h2>
<p class="cite" id="cite">${escapeHtml(citation(model, noun))}</p>
</main>
<footer class="muted">Generated by changewatch ${escapeHtml(summary.software.version)} from published outputs; no figure on this page is computed by the page.</footer>`;
  const title = `${summary.aoi.name}: ${noun} ${summary.periods.monitoring.window} — changewatch`;
  return page(title, body, `${COMPARE_SCRIPT}\n${SORT_SCRIPT}\n${CSV_SCRIPT}`);
}

export function indexPage(rows: readonly IndexRow[], version: string): string {
  const body = `<header><h1>changewatch: areas of interest</h1><p class="muted">changewatch ${escapeHtml(version)}. Each row: the latest run of the AOI and the figures of its latest published report.</p></header>
<main>
<table id="aois"><thead><tr><th>AOI</th><th>kind</th><th>latest run</th><th>outcome</th><th>monitoring</th><th class="n">forest loss ha</th><th class="n">high confidence ha</th><th class="n">seen clear</th><th>report</th></tr></thead><tbody>${rows
    .map(
      (row) =>
        `<tr data-aoi="${escapeHtml(row.aoi)}"><td>${escapeHtml(row.name)} <span class="muted">(${escapeHtml(row.aoi)})</span></td><td>${escapeHtml(row.kind)}</td><td>${row.lastRun ? `<code>${escapeHtml(row.lastRun)}</code>` : 'never'}</td><td title="${escapeHtml(row.lastReason ?? '')}">${escapeHtml(row.lastOutcome ?? '-')}</td><td>${row.report ? escapeHtml(row.report.monitoring) : '-'}</td><td class="n">${row.report ? ha(row.report.lossHa) : '-'}</td><td class="n">${row.report ? ha(row.report.lossHighHa) : '-'}</td><td class="n">${row.report ? percent(row.report.clearMonitoring) : '-'}</td><td>${row.report ? `<a href="${escapeHtml(row.report.href)}">report</a>` : '-'}</td></tr>`,
    )
    .join('')}</tbody></table>
</main>`;
  return page('changewatch: areas of interest', body);
}
