import { escapeHtml } from './html.js';
import type { SiteProperties } from './site.properties.js';
import type { PeriodSummary } from './summary.js';

/**
 * The page of a site's dossier (`<aoi>/sites/<site>/index.html`): what a report author hands to a lawyer or a
 * journalist with the chips, the evidence and the checksums beside it. Pure: a model in, a string out.
 * Self-contained: inline CSS, no script, images and files by relative links (they work from the store, from an
 * unzipped `dossier.zip` or a `sites dossier` copy), and no request beyond its own folder but the links a reader
 * follows.
 */

/** The site as the dossier shows it (merged sites keep their last dossier, so no `merged_into`). */
export type DossierSite = Omit<SiteProperties, 'merged_into'>;

export interface DossierPageModel {
  site: DossierSite;
  productTitle: string;
  aoi: { id: string; name: string; zones: Record<string, string> };
  item: { id: string; inputs: string; href: string };
  runId: string;
  software: string;
  periods: { baseline: PeriodSummary; monitoring: PeriodSummary };
  parameters: Record<string, unknown>;
  chips: Array<{ file: string; title: string; caption: string[]; width: number; height: number }>;
  /** The item's outputs the dossier cites, hrefs relative to the page. */
  outputs: Array<{ asset: string; title: string; href: string; bytes: number; sha256: string }>;
  /** The dossier's own files (chips, sidecars, evidence). */
  files: Array<{ file: string; bytes: number; sha256: string }>;
  /** The NDVI time series (`timeseries.csv`, `timeseries.svg`), when the scenes could be read again. */
  series?: { csv: string; chart: string; points: number; observations: number };
  /** What the item's accuracy assessment of the site's product says (`assess publish`), when there is one. */
  accuracy?: string[];
  /** The source scenes' files and the checksums their STAC items state (null: none stated). */
  sourceFiles?: Array<{ scene: string; asset: string; href: string; checksum: string | null }>;
  notIncluded: string[];
  caveats: string[];
}

/** Hectares with 2 to 4 decimals and thousands separated by commas, as en-US (toLocaleString is slow per call). */
const grouped = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const ha = (value: number): string => {
  const [whole, fraction = ''] = value.toFixed(4).split('.');
  return `${grouped(whole!)}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
};

const STYLE = `
body{font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d1d1d;background:#fafaf7}
header,main,footer{max-width:1150px;margin:0 auto;padding:12px 20px}
header{border-bottom:3px solid #238443}
h1{font-size:1.45em;margin:.2em 0;word-break:break-all}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.4em 0}th,td{padding:3px 10px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,.hash{font-family:"DejaVu Sans Mono",monospace;font-size:.85em;word-break:break-all}
.chips{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;background:#fff;border:1px solid #ccc;padding:6px;max-width:100%}
figure img{display:block;max-width:100%;height:auto;image-rendering:pixelated}
figcaption{font-size:.85em;color:#444;max-width:420px}
.note{background:#fff8e1;border-left:4px solid #f9a825;padding:8px 12px}.muted{color:#666}
`;

function facts(model: DossierPageModel): string {
  const { site } = model;
  const zones = Object.entries(site.zones).map(
    ([id, hectares]) => `${escapeHtml(model.aoi.zones[id] ?? id)} (<code>${escapeHtml(id)}</code>): ${ha(hectares)} ha`,
  );
  const rows: Array<[string, string]> = [
    [
      'state',
      `<span id="state">${escapeHtml(site.state)}</span> (as of the sites folded with item ${escapeHtml(model.item.id)})`,
    ],
    [
      'hectares',
      `<span id="hectares" data-hectares="${site.hectares}">${ha(site.hectares)}</span> (every pixel its patches ever covered, geodesic on WGS84)`,
    ],
    ['first seen', escapeHtml(site.first_seen ?? '-') + ' (first clear observation showing the change)'],
    ['last change', escapeHtml(site.last_change) + ' (monitoring window of its last start or growth)'],
    ['last clear view', escapeHtml(site.last_clear_view ?? '-')],
    ['zones', zones.length > 0 ? zones.join('<br>') : 'none of the AOI’s zones'],
    ['merged from', site.merged_from.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ') || '-'],
    ['split from', site.split_from ? `<code>${escapeHtml(site.split_from)}</code>` : '-'],
    [
      'item',
      `<a href="${escapeHtml(model.item.href)}">${escapeHtml(model.item.id)}</a>, inputs <code>${escapeHtml(model.item.inputs)}</code>`,
    ],
    ['run', `<code id="run-id">${escapeHtml(model.runId)}</code> · ${escapeHtml(model.software)}`],
    ...(model.accuracy
      ? [['accuracy', `<span id="accuracy">${model.accuracy.map(escapeHtml).join('<br>')}</span>`] as [string, string]]
      : []),
  ];
  return `<table id="facts">${rows.map(([name, value]) => `<tr><th>${name}</th><td>${value}</td></tr>`).join('')}</table>`;
}

function chips(model: DossierPageModel): string {
  const figures = model.chips.map(
    (chip) =>
      `<figure><a href="./${escapeHtml(chip.file)}"><img src="./${escapeHtml(chip.file)}" width="${chip.width}" height="${chip.height}" alt="${escapeHtml(chip.title)}"></a><figcaption>${escapeHtml(chip.title)}</figcaption></figure>`,
  );
  return `<h2>Before and after</h2><p>Each chip is a window of the item’s published rasters around the site (its bounding box plus a margin, at least 64 raster pixels a side), every raster pixel drawn as a square block, the site’s outline in cyan. Its caption, lon/lat ticks, scale bar (ground metres) and north arrow are drawn on it, so it stands on its own; a <code>.aux.xml</code> sidecar georeferences it for GIS.</p><div class="chips" id="chips">${figures.join('')}</div>`;
}

function history(model: DossierPageModel): string {
  const rows = model.site.history.map(
    (period) =>
      `<tr><td>${escapeHtml(period.monitoring)}</td><td><code>${escapeHtml(period.item)}</code></td><td class="n">${ha(period.hectares)}</td><td class="n">${ha(period.hectares_high_confidence)}</td><td class="n">${ha(period.new_hectares)}</td><td class="n">${period.patches}</td><td>${escapeHtml(period.classes.join(', '))}</td></tr>`,
  );
  return `<h2>History</h2><table id="history"><thead><tr><th>monitoring window</th><th>item</th><th class="n">hectares</th><th class="n">high confidence</th><th class="n">new hectares</th><th class="n">patches</th><th>classes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function sceneRows(name: string, period: PeriodSummary): string {
  return period.scenes
    .map((scene) => {
      const link =
        scene.href && /^https?:\/\//.test(scene.href)
          ? `<a href="${escapeHtml(scene.href)}">STAC item</a>`
          : scene.href
            ? `<code>${escapeHtml(scene.href)}</code>`
            : '-';
      return `<tr data-period="${name}"><td>${name}</td><td><code>${escapeHtml(scene.id)}</code></td><td>${escapeHtml(scene.datetime)}</td><td class="n">${scene.cloudCover === null ? '-' : `${scene.cloudCover.toFixed(1)} %`}</td><td>${escapeHtml(scene.collection)}</td><td>${link}</td></tr>`;
    })
    .join('');
}

/** The files behind the composites with the checksum their STAC item states, as the evidence records them. */
function sourceFilesTable(model: DossierPageModel): string {
  const files = model.sourceFiles ?? [];
  if (files.length === 0) return '';
  const rows = files
    .map(
      (file) =>
        `<tr><td><code>${escapeHtml(file.scene)}</code></td><td>${escapeHtml(file.asset)}</td><td class="hash">${file.checksum ? escapeHtml(file.checksum) : '<span class="muted">not stated</span>'}</td></tr>`,
    )
    .join('');
  const stated = files.filter((file) => file.checksum).length;
  return `<h2>Source files</h2><p class="muted">${stated} of ${files.length} files read carry a checksum in their STAC item (<code>file:checksum</code>, a multihash: 1220 then the SHA-256); hrefs in evidence.json.</p><table id="source-files"><thead><tr><th>scene</th><th>asset</th><th>checksum</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function scenes(model: DossierPageModel): string {
  const { baseline, monitoring } = model.periods;
  const windows = `<p>Baseline window <b>${escapeHtml(baseline.window)}</b> (${baseline.observationDates.length} observation dates, ${(baseline.clearFraction * 100).toFixed(1)} % of the AOI seen clear); monitoring window <b>${escapeHtml(monitoring.window)}</b> (${monitoring.observationDates.length} observation dates, ${(monitoring.clearFraction * 100).toFixed(1)} % seen clear). Each composite is the per-pixel median of the clear observations of these scenes.</p>`;
  return `<h2>Dates and scenes</h2>${windows}<table id="scenes"><thead><tr><th>period</th><th>scene</th><th>acquired (UTC)</th><th class="n">cloud cover</th><th>collection</th><th>STAC item</th></tr></thead><tbody>${sceneRows('baseline', baseline)}${sceneRows('monitoring', monitoring)}</tbody></table>`;
}

function evidence(model: DossierPageModel): string {
  const parameters = Object.entries(model.parameters).map(
    ([name, value]) =>
      `<tr><td><code>${escapeHtml(name)}</code></td><td><code>${escapeHtml(JSON.stringify(value))}</code></td></tr>`,
  );
  const outputs = model.outputs.map(
    (output) =>
      `<tr><td><a href="${escapeHtml(output.href)}">${escapeHtml(output.asset)}</a><br><span class="muted">${escapeHtml(output.title)}</span></td><td class="n">${grouped(String(output.bytes))}</td><td class="hash">${output.sha256}</td></tr>`,
  );
  const files = model.files.map(
    (file) =>
      `<tr><td><a href="./${escapeHtml(file.file)}">${escapeHtml(file.file)}</a></td><td class="n">${grouped(String(file.bytes))}</td><td class="hash">${file.sha256}</td></tr>`,
  );
  return `<h2>Parameters</h2><table id="parameters">${parameters.join('')}</table>
<h2>Evidence</h2><p>The outputs of item <code>${escapeHtml(model.item.id)}</code> this dossier was cut from, with the sha256 its STAC item records (links work in the published store):</p>
<table id="outputs"><thead><tr><th>output</th><th class="n">bytes</th><th>sha256</th></tr></thead><tbody>${outputs.join('')}</tbody></table>
<p>The dossier’s files (<a href="./evidence.json">evidence.json</a> holds all of this as JSON; <a href="./manifest.sha256">manifest.sha256</a> lists every file with its sha256 for <code>sha256sum -c</code>; <a href="./dossier.zip">dossier.zip</a> holds them all):</p>
<table id="files"><thead><tr><th>file</th><th class="n">bytes</th><th>sha256</th></tr></thead><tbody>${files.join('')}</tbody></table>`;
}

function series(model: DossierPageModel): string {
  const { series } = model;
  if (!series) return '';
  return `<h2>NDVI time series</h2><p>The median NDVI of the site's pixels in each of the ${series.observations} observations of both windows, re-read from the source scenes with their cloud masks: ${series.points} saw some of the site clear (<a href="./${escapeHtml(series.csv)}">${escapeHtml(series.csv)}</a>). The shaded bands are the baseline and monitoring windows; the dashed line, the first clear observation that showed the change.</p><figure id="series-chart"><img src="./${escapeHtml(series.chart)}" alt="NDVI time series of the site" width="720" height="300"></figure>`;
}

export function dossierPage(model: DossierPageModel): string {
  const notes = [...model.notIncluded.map((text) => `<li>${escapeHtml(text)}</li>`)];
  const caveats = model.caveats.map((text) => `<li>${escapeHtml(text)}</li>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(`Site ${model.site.site}: evidence dossier`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<p class="muted">${escapeHtml(model.aoi.name)} (<code>${escapeHtml(model.aoi.id)}</code>) · evidence dossier</p>
<h1 id="site">${escapeHtml(model.site.site)}</h1>
<p>${escapeHtml(model.productTitle)} · ${escapeHtml(model.site.state)} · ${ha(model.site.hectares)} ha · first seen ${escapeHtml(model.site.first_seen ?? '-')}</p>
</header>
<main>
${facts(model)}
${chips(model)}
${series(model)}
${history(model)}
${scenes(model)}
${sourceFilesTable(model)}
${evidence(model)}
<h2>Caveats of the item</h2><ul id="caveats">${caveats.join('')}</ul>
<h2>Not in this dossier</h2><ul class="note" id="not-included">${notes.join('')}</ul>
</main>
<footer class="muted">Sentinel-2: contains modified Copernicus Sentinel data. Landsat: courtesy of the U.S. Geological Survey. Made by ${escapeHtml(model.software)}.</footer>
</body>
</html>
`;
}
