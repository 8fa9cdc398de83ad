import { CANT_TELL, LABEL_COLUMNS } from './accuracy.js';
import { escapeHtml, inlineJson } from './html.js';

/**
 * The review page of an accuracy sample: one unit at a time, blind to the map, with the chips of both periods; the
 * interpreter picks the reference class (or "can't tell"), progress stays in the browser (localStorage, keyed by the
 * design's sha256) and the labels download as the CSV `assess estimate` reads. Self-contained: data inline, no
 * script or style fetched, so it works from a folder (`file://`) and from an object store alike.
 */
export interface ReviewPoint {
  id: string;
  lon: number;
  lat: number;
  chips: { baseline: string; monitoring: string };
  /** The clear scenes of the point nearest the change, oldest first. */
  scenes: Array<{ file: string; date: string; period: 'baseline' | 'monitoring'; kind: string; scenes: string[] }>;
}

export interface ReviewModel {
  designSha256: string;
  aoi: string;
  item: string;
  product: string;
  classes: string[];
  pixelMetres: number;
  chipSide: number;
  chipZoom: number;
  periods: Record<'baseline' | 'monitoring', { window: string; scenes: string[] }>;
  points: ReviewPoint[];
}

const style = (chipWidth: number) => `
body{font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d1d1d;background:#fafaf7}
header,main{max-width:1150px;margin:0 auto;padding:10px 20px}header{border-bottom:3px solid #238443}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.05em;margin:.8em 0 .2em}.muted{color:#666}.chips{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;background:#fff;border:1px solid #ccc;padding:6px}figure img{display:block;image-rendering:pixelated}
figcaption{font-size:.85em;color:#444;max-width:${chipWidth}px;word-break:break-all}fieldset{border:1px solid #ccc;margin:10px 0}
label{display:block;padding:2px 0}button{font:inherit;padding:4px 12px;margin-right:6px}
#list{display:flex;flex-wrap:wrap;gap:4px;font-size:.8em}#list button{padding:1px 5px;margin:0}
#list .done{background:#c7e9c0}#list .current{outline:2px solid #238443}code{font-family:"DejaVu Sans Mono",monospace}
`;

const SCRIPT = `
const data = JSON.parse(document.getElementById('review-data').textContent);
const storeKey = 'changewatch-review-' + data.designSha256;
const saved = JSON.parse(localStorage.getItem(storeKey) || '{"labels":{},"interpreter":"","at":0}');
const $ = (id) => document.getElementById(id);
const choices = [...data.classes, ${JSON.stringify(CANT_TELL)}];
let at = Math.min(saved.at || 0, data.points.length - 1);
function persist() { saved.at = at; localStorage.setItem(storeKey, JSON.stringify(saved)); }
function show() {
  const point = data.points[at];
  const label = saved.labels[point.id];
  $('point').textContent = point.id + ' (' + (at + 1) + ' of ' + data.points.length + ')';
  $('where').textContent = point.lat.toFixed(6) + ', ' + point.lon.toFixed(6);
  $('before').src = point.chips.baseline;
  $('after').src = point.chips.monitoring;
  $('scenes').replaceChildren(...point.scenes.map((scene) => {
    const figure = document.createElement('figure');
    const image = document.createElement('img');
    image.src = scene.file;
    image.alt = scene.date;
    const caption = document.createElement('figcaption');
    caption.textContent = scene.date + ' · ' + scene.period + ' · ' + scene.kind + ' · ' + scene.scenes.join(', ');
    figure.append(image, caption);
    return figure;
  }));
  $('no-scenes').hidden = point.scenes.length > 0;
  for (const input of document.querySelectorAll('input[name=reference]')) input.checked = label ? input.value === label.reference : false;
  $('notes').value = label ? label.notes : '';
  $('interpreter').value = saved.interpreter;
  const done = Object.keys(saved.labels).length;
  $('progress').textContent = done + ' of ' + data.points.length + ' labelled';
  for (const [index, button] of [...$('list').children].entries()) {
    button.className = (saved.labels[data.points[index].id] ? 'done' : '') + (index === at ? ' current' : '');
  }
}
function record() {
  const chosen = document.querySelector('input[name=reference]:checked');
  saved.interpreter = $('interpreter').value.trim();
  if (!chosen) return false;
  saved.labels[data.points[at].id] = {
    reference: chosen.value, interpreter: saved.interpreter, labelled_at: new Date().toISOString(), notes: $('notes').value.trim(),
  };
  return true;
}
function go(index) { at = Math.max(0, Math.min(data.points.length - 1, index)); persist(); show(); }
$('next').onclick = () => { if (!record()) { $('message').textContent = 'Pick a class, or "can\\'t tell".'; return; } $('message').textContent = ''; go(at + 1); };
$('previous').onclick = () => go(at - 1);
$('interpreter').onchange = () => { saved.interpreter = $('interpreter').value.trim(); persist(); };
data.points.forEach((point, index) => {
  const button = document.createElement('button');
  button.textContent = point.id;
  button.onclick = () => go(index);
  $('list').appendChild(button);
});
const quote = (field) => /[",\\r\\n]/.test(field) ? '"' + field.replaceAll('"', '""') + '"' : field;
$('download').onclick = () => {
  const rows = [${JSON.stringify(LABEL_COLUMNS)}];
  for (const point of data.points) {
    const label = saved.labels[point.id];
    if (label) rows.push([point.id, label.reference, label.interpreter, label.labelled_at, label.notes, data.designSha256]);
  }
  const csv = rows.map((row) => row.map((field) => quote(String(field))).join(',')).join('\\r\\n') + '\\r\\n';
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  link.download = 'labels-' + data.aoi + '-' + data.product + '.csv';
  link.click();
};
document.addEventListener('keydown', (event) => {
  if (event.target.tagName === 'INPUT' && event.target.type === 'text' || event.target.tagName === 'TEXTAREA') return;
  const index = Number(event.key) - 1;
  if (index >= 0 && index < choices.length) document.querySelectorAll('input[name=reference]')[index].checked = true;
  if (event.key === 'Enter') $('next').click();
});
show();
`;

function period(model: ReviewModel, name: 'baseline' | 'monitoring', id: string, title: string): string {
  const { window, scenes } = model.periods[name];
  const width = model.chipSide * model.chipZoom;
  return `<figure><img id="${id}" width="${width}" height="${width}" alt="${title}"><figcaption><b>${title}</b>: median NDVI of the clear observations in ${escapeHtml(window)} (${scenes.length} scenes: ${escapeHtml(scenes.join('; '))})</figcaption></figure>`;
}

export function reviewPage(model: ReviewModel): string {
  const side = model.chipSide * model.pixelMetres;
  const options = [...model.classes, CANT_TELL]
    .map(
      (name, index) =>
        `<label><input type="radio" name="reference" value="${escapeHtml(name)}"> ${index + 1} · ${escapeHtml(name === CANT_TELL ? "can't tell" : name)}</label>`,
    )
    .join('');
  const width = model.chipSide * model.chipZoom;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Review ${escapeHtml(model.aoi)} ${escapeHtml(model.product)}</title>
<style>${style(width)}</style></head>
<body><header><p class="muted">${escapeHtml(model.aoi)} · item <code>${escapeHtml(model.item)}</code> · ${escapeHtml(model.product)} · design <code>${model.designSha256.slice(0, 16)}</code></p>
<h1>Reference labels: <span id="point"></span></h1>
<p>At <span id="where"></span> (lat, lon; WGS84). Each chip is ${side} m × ${side} m, ${model.pixelMetres} m per pixel, north up; the magenta square is the sample pixel. The map's class is not shown: label what the imagery (and any other source you trust) shows for this pixel. <span id="progress"></span></p></header>
<main><div class="chips">${period(model, 'baseline', 'before', 'Before')}${period(model, 'monitoring', 'after', 'After')}</div>
<h2>Clear scenes of this pixel nearest the change</h2><p class="muted">Each scene on its own (hatched: not clear in that scene), the last ones of the baseline and the first of the monitoring window.</p><div id="scenes" class="chips"></div><p id="no-scenes" class="muted">No individual scene shows this pixel clear, or the scenes could not be read again.</p>
<fieldset><legend>Reference class of the sample pixel (keys 1–${model.classes.length + 1}, Enter to save)</legend>${options}
<label>Notes <input id="notes" type="text" size="60"></label><label>Interpreter <input id="interpreter" type="text" size="30"></label></fieldset>
<p><button id="previous">Previous</button><button id="next">Save and next</button><button id="download">Download labels (CSV)</button> <span id="message"></span></p>
<div id="list"></div></main>
<script type="application/json" id="review-data">${inlineJson({ designSha256: model.designSha256, aoi: model.aoi, product: model.product, classes: model.classes, points: model.points })}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
