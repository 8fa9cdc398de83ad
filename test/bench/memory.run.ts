/**
 * One measurement for memory.bench.ts, in its own process so its peak RSS is its own: the forest-loss run and
 * all its outputs (COGs, previews, polygons, summary) for an AOI's whole grid, with no observations: every block
 * still goes through the pipeline, the writers and the statistics, so what grows with the grid shows. Prints one
 * JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveAoi } from '../../pipeline/io/aoi.repository.js';
import { runAnalysis } from '../../pipeline/analysis/analysis.js';
import { periodOutputs } from '../../pipeline/outputs/period.outputs.js';
import { RasterOutputSink } from '../../pipeline/outputs/raster.sink.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { siteCounter } from '../../pipeline/run/period.run.js';
import { SitesConfigSchema } from '../../config/config.schema.js';
import type { RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import type { SceneSearch } from '../../pipeline/scenes/scenes.find.js';
import { ROOT } from '../helpers/paths.js';

const id = process.argv[2]!;
const aoi = await resolveAoi(id, join(ROOT, 'aoi'), { maxAreaKm2: 10_000 });
const opener: RasterOpener = {
  open: () => Promise.reject(new Error('memory.run reads no imagery')),
  stats: () => ({ requests: 0, bytes: 0 }),
  close: () => Promise.resolve(),
};
// A search that found nothing, whole (a cast here once hid a field the summary reads, and the bench crashed).
const search = (year: number): SceneSearch => ({
  aoi: id,
  period: { start: `${year}-01-01T00:00:00.000Z`, end: `${year}-02-01T00:00:00.000Z` },
  maxCloudCover: 60,
  scenes: [],
  observations: [],
  skipped: [],
  unusable: [],
});
const window = (year: number) => ({
  text: `${year}`,
  start: `${year}-01-01T00:00:00.000Z`,
  end: `${year}-02-01T00:00:00.000Z`,
});
const periods = {
  baseline: { window: window(2021), search: search(2021) },
  monitoring: { window: window(2022), search: search(2022) },
};
const workDir = mkdtempSync(join(tmpdir(), 'cw-memory-'));
try {
  const started = Date.now();
  const rasters = new RasterOutputSink(workDir, { baseline: '2021', monitoring: '2022' }, 10);
  const run = await runAnalysis({ aoi, baseline: [], monitoring: [], opener, sinks: [rasters] });
  // An empty store: the run's own (empty) period is the only one its summary's sites are counted from.
  const store = new FileObjectStore(join(workDir, 'store'));
  const countSites = siteCounter({ opener, store, siteRules: SitesConfigSchema.parse({}) }, aoi);
  const { files } = await periodOutputs({ aoi, run, rasters, periods, itemId: 'memory', digest: 'memory', countSites });
  process.stdout.write(
    `${JSON.stringify({
      aoi: id,
      pixels: run.grid.width * run.grid.height,
      seconds: (Date.now() - started) / 1000,
      maxRssKiB: process.resourceUsage().maxRSS,
      outputBytes: files.reduce((sum, file) => sum + file.size, 0),
    })}\n`,
  );
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
