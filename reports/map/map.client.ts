import Map from 'ol/Map.js';
import Overlay from 'ol/Overlay.js';
import View from 'ol/View.js';
import Control from 'ol/control/Control.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import Attribution from 'ol/control/Attribution.js';
import Zoom from 'ol/control/Zoom.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import Graticule from 'ol/layer/Graticule.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import WebGLTileLayer from 'ol/layer/WebGLTile.js';
import { register } from 'ol/proj/proj4.js';
import { get as getProjection, transform, transformExtent } from 'ol/proj.js';
import { getRenderPixel } from 'ol/render.js';
import GeoTIFF from 'ol/source/GeoTIFF.js';
import VectorSource from 'ol/source/Vector.js';
import XYZ from 'ol/source/XYZ.js';
import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import Text from 'ol/style/Text.js';
import type { FeatureLike } from 'ol/Feature.js';
import type RenderEvent from 'ol/render/Event.js';
import proj4 from 'proj4';
import olCss from 'ol/ol.css';
import { downloadFigure } from './map.figure.js';
import type { MapLayer, MapModel } from '../map.model.js';

/**
 * The report page's map: the item's published COGs read in place by HTTP range requests (OpenLayers' GeoTIFF source
 * picks the overview that fits the zoom), the AOI, zones, change patches and sites as vectors, a swipe between two
 * layers, scale line, north arrow, graticule with labels, a legend with values, and a popup per patch or site. What
 * to draw comes from the page's JSON (reports/map.model.ts); nothing is fetched from anywhere but the store.
 */
const $ = (id: string) => document.getElementById(id)!;

function colourExpression(layer: MapLayer): unknown[] {
  const transparent = [0, 0, 0, 0];
  // The source adds an alpha band after the data bands (0 where nodata): band 4 for RGB, band 2 otherwise.
  if (layer.colouring.kind === 'rgb')
    return ['case', ['==', ['band', 4], 0], transparent, ['color', ['band', 1], ['band', 2], ['band', 3], 1]];
  if (layer.colouring.kind === 'ramp') {
    const stops = layer.colouring.stops.flatMap(([value, [r, g, b, a]]) => [value, [r, g, b, a / 255]]);
    return ['case', ['==', ['band', 2], 0], transparent, ['interpolate', ['linear'], ['band', 1], ...stops]];
  }
  const palette: unknown[] = Array.from({ length: 256 }, () => transparent);
  for (const [code, [r, g, b, a]] of layer.colouring.colours) palette[code] = [r, g, b, a / 255];
  return ['case', ['==', ['band', 2], 0], transparent, ['palette', ['band', 1], palette]];
}

function rasterLayer(layer: MapLayer): WebGLTileLayer {
  const source = new GeoTIFF({
    sources: [{ url: new URL(layer.href, location.href).href, nodata: layer.nodata === 'nan' ? NaN : layer.nodata }],
    normalize: false,
    interpolate: false,
    transition: 0,
  });
  return new WebGLTileLayer({
    source,
    style: { color: colourExpression(layer) as never },
    properties: { id: layer.id },
  });
}

/** Outline style; labels only closer than `labelBelow` metres per screen pixel, where they can be read. */
function vectorStyle(colour: string, width: number, label?: (feature: FeatureLike) => string, labelBelow = Infinity) {
  return (feature: FeatureLike, resolution: number) =>
    new Style({
      stroke: new Stroke({ color: colour, width }),
      // Almost transparent, not transparent: OpenLayers does not hit-detect a fill of alpha 0, and a click inside a
      // patch must find it.
      fill: new Fill({ color: 'rgba(255,255,255,0.01)' }),
      ...(label && resolution < labelBelow
        ? {
            text: new Text({
              text: label(feature),
              font: '12px sans-serif',
              overflow: true,
              stroke: new Stroke({ color: '#fff', width: 3 }),
            }),
          }
        : {}),
    });
}

function vectorLayers(model: MapModel, projection: string): VectorLayer[] {
  const format = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: projection });
  const inline = (features: object[]) =>
    new VectorSource({ features: format.readFeatures({ type: 'FeatureCollection', features }) });
  const layers = [
    new VectorLayer({
      source: inline([{ type: 'Feature', geometry: model.aoi, properties: { kind: 'aoi' } }]),
      style: vectorStyle('#238443', 2),
    }),
    new VectorLayer({
      source: inline(
        model.zones.map((zone) => ({
          type: 'Feature',
          geometry: zone.geometry,
          properties: { kind: 'zone', name: zone.name, zone: zone.id },
        })),
      ),
      style: vectorStyle('#d7301f', 1.5, (feature) => String(feature.get('name'))),
    }),
  ];
  if (model.polygonsHref)
    layers.push(
      new VectorLayer({
        source: new VectorSource({ url: model.polygonsHref, format }),
        style: vectorStyle('#111', 1),
        properties: { id: 'polygons' },
      }),
    );
  if (model.sitesHref)
    layers.push(
      new VectorLayer({
        source: new VectorSource({ url: model.sitesHref, format }),
        style: vectorStyle('#00bcd4', 1.5, (f) => String(f.get('site') ?? ''), 4),
        declutter: true,
        properties: { id: 'sites' },
      }),
    );
  return layers;
}

/** The angle of true north from the grid's up at the map's centre (UTM's meridian convergence), radians. */
function northAngle(map: Map, projection: string): number {
  const centre = map.getView().getCenter();
  if (!centre) return 0;
  const [lon, lat] = transform(centre, projection, 'EPSG:4326') as [number, number];
  const north = transform([lon, lat + 0.01], 'EPSG:4326', projection);
  return Math.atan2(north[0]! - centre[0]!, north[1]! - centre[1]!);
}

function northArrow(map: Map, projection: string): Control {
  const element = document.createElement('div');
  element.className = 'ol-unselectable ol-control north-arrow';
  element.innerHTML =
    '<svg viewBox="-12 -16 24 32" width="24" height="32" aria-label="north arrow"><path d="M0 -14 L7 8 L0 3 L-7 8 Z" fill="#111"/><text y="15" text-anchor="middle" font-size="8">N</text></svg>';
  const control = new Control({ element });
  map.on('moveend', () => {
    element.style.transform = `rotate(${(northAngle(map, projection) * 180) / Math.PI}deg)`;
    element.dataset['degrees'] = ((northAngle(map, projection) * 180) / Math.PI).toFixed(3);
  });
  return control;
}

function legendHtml(layer: MapLayer): string {
  const rows = layer.legend.rows
    .map((row) => `<div><span class="sw" style="background:${row.colour}"></span>${row.label}</div>`)
    .join('');
  return `<h4>${layer.title}</h4><div class="muted">${layer.legend.unit}</div>${rows}`;
}

function popupHtml(feature: FeatureLike, model: MapModel): string | undefined {
  const get = (key: string) => feature.get(key) as unknown;
  if (get('site')) {
    const id = String(get('site'));
    const dossier = model.dossierHref
      ? ` · <a href="${model.dossierHref}${encodeURIComponent(id)}/index.html">dossier</a>`
      : '';
    return `<b>${id}</b><br>${String(get('state'))} · <span class="popup-hectares">${Number(get('hectares')).toFixed(2)}</span> ha · first seen ${String(get('first_seen') ?? '-')}${dossier}`;
  }
  if (get('hectares') === undefined) return undefined;
  const confidence = get('confidence') ? ` · ${String(get('confidence'))} confidence` : '';
  return `<b>${String(get('class'))}</b> (${String(get('product'))})<br><span class="popup-hectares">${Number(get('hectares')).toFixed(4)}</span> ha${confidence} · first seen ${String(get('first_seen') ?? '-')} · ${String(get('pixels'))} pixels`;
}

function addPopup(map: Map, model: MapModel): void {
  const element = $('map-popup');
  const overlay = new Overlay({ element, autoPan: false });
  map.addOverlay(overlay);
  map.on('singleclick', (event) => {
    // Every patch and site under the pointer: a site and the patch it holds answer together.
    const parts: string[] = [];
    map.forEachFeatureAtPixel(event.pixel, (feature) => {
      const html = popupHtml(feature, model);
      if (html) parts.push(`<div class="popup-feature">${html}</div>`);
    });
    element.innerHTML = parts.join('<hr>');
    element.hidden = parts.length === 0;
    overlay.setPosition(parts.length > 0 ? event.coordinate : undefined);
  });
}

/** The swipe: the top layer drawn only left of the divider (a scissor on its WebGL context). */
function addSwipe(map: Map, top: () => WebGLTileLayer, input: HTMLInputElement): void {
  const clip = (event: RenderEvent) => {
    const gl = event.context as WebGLRenderingContext;
    const size = map.getSize()!;
    const bottomLeft = getRenderPixel(event, [0, size[1]!]);
    const topRight = getRenderPixel(event, [size[0]!, 0]);
    gl.enable(gl.SCISSOR_TEST);
    gl.scissor(
      bottomLeft[0]!,
      bottomLeft[1]!,
      Math.round((topRight[0]! - bottomLeft[0]!) * (Number(input.value) / 100)),
      topRight[1]! - bottomLeft[1]!,
    );
  };
  const unclip = (event: RenderEvent) =>
    (event.context as WebGLRenderingContext).disable((event.context as WebGLRenderingContext).SCISSOR_TEST);
  let current: WebGLTileLayer | undefined;
  const attach = () => {
    current?.un('prerender', clip);
    current?.un('postrender', unclip);
    current = top();
    current.on('prerender', clip);
    current.on('postrender', unclip);
    map.render();
  };
  input.addEventListener('input', () => map.render());
  map.on('change:layergroup', attach);
  attach();
}

function layerChoice(select: HTMLSelectElement, model: MapModel, chosen: string): void {
  select.innerHTML = model.layers
    .map((layer) => `<option value="${layer.id}"${layer.id === chosen ? ' selected' : ''}>${layer.title}</option>`)
    .join('');
}

function start(model: MapModel): void {
  const projection = `EPSG:${model.epsg}`;
  proj4.defs(projection, model.proj4);
  register(proj4);
  // The graticule needs the CRS's area of use, in degrees and in metres.
  getProjection(projection)!.setWorldExtent(model.worldExtent);
  getProjection(projection)!.setExtent(transformExtent(model.worldExtent, 'EPSG:4326', projection));
  const view = new View({ projection, extent: model.extent, constrainOnlyCenter: true, showFullExtent: true });
  const byId = (id: string) => model.layers.find((layer) => layer.id === id)!;
  let bottom = rasterLayer(byId(model.initial.bottom));
  let top = rasterLayer(byId(model.initial.top));
  const basemap = model.basemap
    ? new TileLayer({
        source: new XYZ({ url: model.basemap.url, attributions: model.basemap.attribution }),
        visible: false,
      })
    : undefined;
  const overlays = vectorLayers(model, projection);
  const graticule = new Graticule({
    showLabels: true,
    strokeStyle: new Stroke({ color: 'rgba(0,0,0,0.35)', width: 1, lineDash: [2, 3] }),
    wrapX: false,
  });
  const map = new Map({
    target: 'map',
    view,
    controls: [
      new Zoom(),
      new ScaleLine({ units: 'metric', bar: true, text: true, minWidth: 120 }),
      new Attribution({ collapsible: false }),
    ],
    layers: [...(basemap ? [basemap] : []), bottom, top, graticule, ...overlays],
  });
  map.addControl(northArrow(map, projection));
  view.fit(overlays[0]!.getSource()!.getExtent() ?? model.extent, { padding: [20, 20, 20, 20] });
  const legend = () =>
    ($('map-legend').innerHTML =
      legendHtml(byId(top.get('id') as string)) + legendHtml(byId(bottom.get('id') as string)));
  const swap = (which: 'top' | 'bottom', id: string) => {
    const next = rasterLayer(byId(id));
    const layers = map.getLayers();
    const old = which === 'top' ? top : bottom;
    layers.setAt(layers.getArray().indexOf(old), next);
    if (which === 'top') top = next;
    else bottom = next;
    old.dispose();
    legend();
    map.dispatchEvent('change:layergroup');
  };
  wireControls(model, swap, basemap);
  addSwipe(map, () => top, $('map-swipe') as HTMLInputElement);
  addPopup(map, model);
  legend();
  $('map-download').addEventListener('click', () => {
    const shown = [top, bottom].map((layer) => byId(layer.get('id') as string));
    void downloadFigure(map, model, shown, northAngle(map, projection));
  });
  map.on('rendercomplete', () => (document.body.dataset['map'] = 'ready'));
  (window as unknown as { changewatchMap: Map }).changewatchMap = map;
}

function wireControls(model: MapModel, swap: (which: 'top' | 'bottom', id: string) => void, basemap?: TileLayer): void {
  const topSelect = $('map-top') as HTMLSelectElement;
  const bottomSelect = $('map-bottom') as HTMLSelectElement;
  layerChoice(topSelect, model, model.initial.top);
  layerChoice(bottomSelect, model, model.initial.bottom);
  topSelect.addEventListener('change', () => swap('top', topSelect.value));
  bottomSelect.addEventListener('change', () => swap('bottom', bottomSelect.value));
  const toggle = $('map-basemap') as HTMLInputElement;
  toggle.parentElement!.hidden = !basemap;
  toggle.addEventListener('change', () => basemap?.setVisible(toggle.checked));
}

const style = document.createElement('style');
style.textContent = olCss;
document.head.append(style);
const model = JSON.parse($('map-data').textContent!) as MapModel;
if (location.protocol === 'file:') {
  // COGs cannot be range-read from a file: URL; the static previews below stand in.
  $('map-note').hidden = false;
  $('map-panel').hidden = true;
} else {
  start(model);
}
