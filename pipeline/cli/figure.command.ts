import type { Command } from 'commander';
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { assessedItem } from '../assess/assess.source.js';
import { compose } from '../compose.js';
import { ChangewatchError } from '../errors.js';
import { createLogger } from '../log.js';
import { chooseLayers } from '../outputs/figure.layers.js';
import { renderFigure, type FigureFile } from '../outputs/figure.js';
import { loadState } from '../publish/aoi.state.js';
import { dossierRunId } from '../publish/dossier.publish.js';
import { publishedRasters } from '../scenes/store.raster.js';
import type { AreaGeometry } from '../../aoi/geometry.js';
import type { LonLatBox } from '../../workers/figure.js';
import type { CliContext } from './cli.context.js';

interface FigureFlags {
  aoi: string;
  item?: string;
  layers?: string;
  bbox?: string;
  widthMm: string;
  out: string;
}

/** Figure widths accepted, millimetres: from a column (the frame needs 82 mm) to a poster panel. */
const WIDTH_MM = { min: 90, max: 600 } as const;

function parseBox(text: string): LonLatBox {
  const values = text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  const [west, south, east, north] = values as [number, number, number, number];
  if (values.length !== 4 || values.some((value) => !Number.isFinite(value)))
    throw new ChangewatchError('E_USAGE', `--bbox ${text}: not four numbers minLon,minLat,maxLon,maxLat`);
  if (Math.abs(west) > 180 || Math.abs(east) > 180 || Math.abs(south) > 90 || Math.abs(north) > 90)
    throw new ChangewatchError(
      'E_USAGE',
      `--bbox ${text}: not lon/lat degrees (longitudes within ±180, latitudes ±90)`,
    );
  if (west >= east || south >= north)
    throw new ChangewatchError('E_USAGE', `--bbox ${text}: in the wrong order: give minLon,minLat,maxLon,maxLat`);
  return [west, south, east, north];
}

function parseWidth(text: string): number {
  const value = Number(text);
  if (!(text.trim() !== '' && value >= WIDTH_MM.min && value <= WIDTH_MM.max))
    throw new ChangewatchError('E_USAGE', `--width-mm ${text}: not a width from ${WIDTH_MM.min} to ${WIDTH_MM.max} mm`);
  return value;
}

/** The output's format from its extension, refused before any work when its folder cannot be written. */
function checkedOut(path: string): { path: string; format: 'png' | 'pdf' } {
  const format = extname(path).toLowerCase().slice(1);
  if (format !== 'png' && format !== 'pdf')
    throw new ChangewatchError('E_USAGE', `--out ${path}: the figure is written as .png or .pdf`);
  const folder = dirname(path);
  try {
    if (!statSync(folder).isDirectory()) throw new Error('not a folder');
    accessSync(folder, constants.W_OK);
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${path} is a folder`);
  } catch (error) {
    throw new ChangewatchError('E_USAGE', `--out ${path}: cannot be written (${(error as Error).message})`);
  }
  return { path, format };
}

/** Writes each file to a temporary name beside it, then renames them all: a failure leaves nothing half-written. */
function writeAll(files: ReadonlyArray<readonly [string, Uint8Array | string]>): void {
  const temporary = files.map(([path]) => join(dirname(path), `.${basename(path)}.${process.pid}.tmp`));
  try {
    files.forEach(([, body], k) => writeFileSync(temporary[k]!, body));
    files.forEach(([path], k) => renameSync(temporary[k]!, path));
  } catch (error) {
    for (const path of temporary) rmSync(path, { force: true });
    throw new ChangewatchError('E_WRITE', `--out ${files[0]![0]}: cannot be written (${(error as Error).message})`);
  }
}

const describe = (out: string, figure: FigureFile) => {
  const { record } = figure;
  const { map, scaleBar } = record;
  return (
    `${out}: ${record.width}×${record.height} px, ${record.widthMm}×${record.heightMm} mm at ${record.dpi} dpi; ` +
    `layers ${record.layers.join(', ')}; map ${map.width}×${map.height} px at ${map.x},${map.y}, ` +
    `${record.metresPerPixel.toFixed(4)} m per pixel; scale bar ${scaleBar.label} = ${scaleBar.width} px at ` +
    `${scaleBar.x},${scaleBar.y}; ${record.attribution}`
  );
};

async function figure(flags: FigureFlags, command: Command, { io, configOf }: CliContext): Promise<void> {
  const out = checkedOut(resolve(io.cwd, flags.out));
  const widthMm = parseWidth(flags.widthMm);
  const bbox = flags.bbox === undefined ? undefined : parseBox(flags.bbox);
  const names = flags.layers?.split(',').map((name) => name.trim());
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const adapters = compose(config, log);
  try {
    const source = await assessedItem(adapters.store, flags.aoi, flags.item);
    const layers = chooseLayers(source.item, Object.keys(source.summary.products), names);
    const aoi = await adapters
      .loadAois()
      .then(({ aois }) => aois.find((candidate) => candidate.id === flags.aoi))
      .catch((error: unknown) => {
        if (!(error instanceof ChangewatchError)) throw error;
        return undefined;
      });
    if (!aoi) io.err(`${flags.aoi}: not in ${config.aoi.dir}: the outline is the item's geometry, without zones`);
    const { state } = await loadState(adapters.store, flags.aoi);
    const runId = dossierRunId(state, { id: source.item.id, inputs: source.inputs }, 'not recorded');
    const drawn = await renderFigure(
      {
        summary: source.summary,
        item: source.item,
        assetKey: (asset) => source.assetKey(asset),
        rasters: publishedRasters(adapters.opener(), adapters.store.url),
        runId,
        aoi: aoi ?? { name: source.summary.aoi.name, geometry: source.item['geometry'] as AreaGeometry, zones: [] },
      },
      { layers, ...(bbox ? { bbox } : {}), widthMm, format: out.format },
    );
    writeAll([[out.path, drawn.bytes], ...(drawn.aux ? [[`${out.path}.aux.xml`, drawn.aux] as const] : [])]);
    log.info({ aoi: flags.aoi, item: source.item.id, out: out.path, bytes: drawn.bytes.length }, 'Figure:Write:Done');
    io.out(describe(flags.out, drawn));
  } finally {
    await adapters.close();
  }
}

/** `changewatch figure`: a print-ready map of a published item, PNG or PDF at 300 dpi. */
export function registerFigure(program: Command, context: CliContext): void {
  program
    .command('figure')
    .description('a print-ready map (300 dpi PNG or PDF) of a published item: layers, legend, scale, attribution')
    .requiredOption('--aoi <id>', 'the AOI')
    .option('--item <id>', 'the item (default: the latest)')
    .option('--layers <list>', "the item's raster assets to draw, bottom first (default: ndvi-monitoring,<product>)")
    .option('--bbox <box>', 'minLon,minLat,maxLon,maxLat (default: the AOI with a margin)')
    .option('--width-mm <mm>', `width of the figure in millimetres (${WIDTH_MM.min}-${WIDTH_MM.max})`, '180')
    .requiredOption('--out <file>', 'fig.png or fig.pdf')
    .action((flags: FigureFlags, command: Command) => figure(flags, command, context));
}
