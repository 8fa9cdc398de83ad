import { escapeHtml, inlineJson } from './html.js';
import type { MapModel } from './map.model.js';

/**
 * The report page's map section: the controls, the map's box, its legend and popup, the model as inline JSON and the
 * bundled script (reports/map/map.client.ts, published beside the pages). From a file: URL the script shows the note
 * instead: COGs cannot be range-read from a file, and the static before/after previews below stand in.
 */
export interface PageMap {
  model: MapModel;
  /** The bundled map script, relative to the page. */
  scriptHref: string;
}

export const MAP_STYLE = `
#map{position:relative;width:100%;height:560px;border:1px solid #bbb;background:#fff}
#map-panel .controls label{margin-right:12px}
#map-legend{display:flex;flex-wrap:wrap;gap:4px 24px;margin:6px 0}#map-legend h4{margin:0;font-size:.95em;width:100%}
#map-legend div{font-size:.9em}#map-legend span.sw{display:inline-block;width:14px;height:14px;border:1px solid #555;vertical-align:-2px;margin-right:6px}
#map-popup{background:#fff;border:1px solid #555;padding:6px 10px;font-size:.9em;min-width:180px;transform:translate(-50%,-110%);box-shadow:0 1px 4px rgba(0,0,0,.3)}
.north-arrow{top:.5em;right:.5em;background:rgba(255,255,255,.8);padding:2px}
.ol-scale-line,.ol-scale-bar{left:.5em;bottom:2.2em}
`;

export function mapSection(map: PageMap | undefined): string {
  if (!map) return '';
  return `<h2>Map</h2>
<p class="muted" id="map-note" hidden>The interactive map reads the COGs by HTTP range requests: open this page from the store's web endpoint or with <code>changewatch reports serve</code>. The previews below show the same periods.</p>
<div id="map-panel">
<div class="controls"><label>Layer <select id="map-top" aria-label="layer"></select></label><label>under it <select id="map-bottom" aria-label="layer under the swipe"></select></label><label>Swipe <input type="range" id="map-swipe" min="0" max="100" value="100" aria-label="swipe"></label><label hidden><input type="checkbox" id="map-basemap"> online basemap</label><button id="map-download" type="button">Download figure (PNG, 300 dpi)</button></div>
<div id="map"></div>
<div id="map-popup" hidden></div>
<div id="map-legend"></div>
<p class="muted">Click a patch or a site for its figures. Grid: ${escapeHtml(`EPSG:${map.model.epsg}`)}; graticule in degrees (WGS84).</p>
</div>
<script type="application/json" id="map-data">${inlineJson(map.model)}</script>
<script src="${escapeHtml(map.scriptHref)}" defer></script>`;
}
