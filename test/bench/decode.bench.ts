/**
 * `npm run bench`: decode throughput of whole real COGs with changewatch's decoders (native/inflate when built:
 * libdeflate, its predictors and LZW; else node:zlib and the typed-array code), with geotiff.js's default decoders,
 * and with GDAL in the same run, a round of each alternated; and range requests per window. Figures, not a
 * pass/fail test: run it on an idle machine and compare runs of the same machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fromFile } from 'geotiff';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { INFLATE_ENGINE } from '../../workers/inflate.native.js';
import { SHARED_DATA, DEBIAN_PYTHON } from '../helpers/paths.js';
import { RecordingSource } from '../helpers/recording.source.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
/**
 * Whole-file reads timed together as one round, on each side: one read of these files takes 10-30 ms, in which a
 * garbage collection or another process's time slice swung single-read rounds from 0.4 to 1.2 times GDAL's speed.
 */
const READS_PER_ROUND = 5;
/**
 * The Earth Search L2A layout (UInt16, DEFLATE, predictor 2) is not among the shared files (the Morocco L2A bands
 * carry no predictor): GDAL makes it from the Morocco B04 into TMPDIR, as a COG with 512² tiles, for each run.
 */
const scratch = mkdtempSync(join(tmpdir(), 'cw-decode-bench-'));
const PREDICTOR_2 = join(scratch, 'B04.predictor2.tif');
execFileSync('gdal_translate', [
  '-q',
  '-of',
  'COG',
  '-co',
  'COMPRESS=DEFLATE',
  '-co',
  'PREDICTOR=2',
  '-co',
  'BLOCKSIZE=512',
  join(SHARED_DATA, 's2l2a-morocco', 'B04.tif'),
  PREDICTOR_2,
]);
const FILES = [
  { name: 'L2A B04 DEFLATE UInt16 no predictor 1098² (Morocco)', path: join(SHARED_DATA, 's2l2a-morocco', 'B04.tif') },
  { name: 'same, DEFLATE UInt16 pred2 (GDAL COG, 512² tiles)', path: PREDICTOR_2 },
  {
    name: 'Bukavu red DEFLATE Float32 pred3 835×1121 COG',
    path: join(SHARED_DATA, 's2-bukavu-rusizi', 'derived_cog_pair', '20210825_T35MPT_red.cog.tif'),
  },
  {
    name: 'Bukavu export LZW Float32 2 bands 835×1121',
    path: join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc', '20210825T080611_20210825T082711_T35MPT.tif'),
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** geotiff.js with its own (pure JavaScript) decoders: must run before changewatch registers its decoders. */
async function geotiffDefault(path: string): Promise<{ ms: number; pixels: number }> {
  const times: number[] = [];
  let pixels = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    const tiff = await fromFile(path);
    const image = await tiff.getImage();
    await image.readRasters();
    await tiff.close();
    times.push(performance.now() - started);
    pixels = image.getWidth() * image.getHeight() * image.getSamplesPerPixel();
  }
  return { ms: median(times), pixels };
}

/**
 * {@link READS_PER_ROUND} whole-file reads with changewatch's decoders, each opening the file (its header) and
 * closing it (its decoded tiles leave the cache): milliseconds per read, and pixels (samples).
 */
async function changewatchRound(path: string): Promise<{ ms: number; pixels: number }> {
  let pixels = 0;
  const started = performance.now();
  for (let read = 0; read < READS_PER_ROUND; read++) {
    const reader = await RasterReader.open(new FileByteSource(path));
    const { width, height, bands } = reader.info;
    await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height });
    await reader.close();
    pixels = width * height * bands;
  }
  return { ms: (performance.now() - started) / READS_PER_ROUND, pixels };
}

/**
 * GDAL in one long-lived Debian python3 process (no process start-up in the figure): each path written to it is
 * opened and read whole {@link READS_PER_ROUND} times, and it answers the milliseconds per read. One process for the bench, so a round of GDAL can
 * be taken right beside a round of changewatch (the load of a shared machine changes from second to second).
 */
function startGdal(): { read(path: string): Promise<number>; close(): void } {
  const script = [
    'import sys, time',
    'from osgeo import gdal',
    'gdal.SetCacheMax(0)',
    'for line in sys.stdin:',
    '    t = time.perf_counter()',
    `    for _ in range(${READS_PER_ROUND}):`,
    '        ds = gdal.Open(line.strip())',
    '        ds.ReadRaster()',
    '        ds = None',
    `    print((time.perf_counter() - t) * 1000 / ${READS_PER_ROUND}, flush=True)`,
  ].join('\n');
  const child = spawn(DEBIAN_PYTHON, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: Array<(ms: number) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(Number(line)));
  return {
    read(path) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${path}\n`);
      });
    },
    close: () => child.stdin.end(),
  };
}

/**
 * changewatch and GDAL reading a file whole, a round of each side by side (which goes first alternates), so each
 * round's ratio compares the two under the same load.
 */
async function alternated(
  path: string,
  gdal: ReturnType<typeof startGdal>,
): Promise<{ pixels: number; ours: number[]; gdals: number[] }> {
  const ours: number[] = [];
  const gdals: number[] = [];
  let pixels = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 1) gdals.push(await gdal.read(path));
    const read = await changewatchRound(path);
    ours.push(read.ms);
    pixels = read.pixels;
    if (round % 2 === 0) gdals.push(await gdal.read(path));
  }
  return { pixels, ours, gdals };
}

async function rangeRequests(): Promise<void> {
  const path = join(SHARED_DATA, 's2-bukavu-rusizi', 'derived_cog_pair', '20210825_T35MPT_red.cog.tif');
  const windows = [
    { name: 'one tile (64×64 px inside tile 2,2)', window: { x0: 530, y0: 530, x1: 594, y1: 594 } },
    { name: 'one tile row (700×100 px)', window: { x0: 0, y0: 300, x1: 700, y1: 400 } },
    { name: 'bukavu-demo AOI (790×1080 px)', window: { x0: 20, y0: 20, x1: 810, y1: 1100 } },
  ];
  console.log('\nRange requests per window (GDAL COG, 256² tiles, 64 KiB header read, ranges merged within 8 KiB)');
  console.log('window'.padEnd(40), 'requests', 'bytes'.padStart(10), 'file bytes'.padStart(12));
  for (const { name, window } of windows) {
    const recording = new RecordingSource(new FileByteSource(path));
    const reader = await RasterReader.open(recording);
    await reader.readWindow(window);
    console.log(
      name.padEnd(40),
      String(reader.stats.requests).padStart(8),
      String(reader.stats.bytes).padStart(10),
      String(recording.size).padStart(12),
    );
  }
}

/** cw/GDAL speed ratios of round i against round i: their median and min-max. */
function ratiosOf(ours: number[], gdals: number[]): { median: number; spread: string } {
  const ratios = ours.map((ms, round) => gdals[round]! / ms);
  return {
    median: median(ratios),
    spread: `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}×`,
  };
}

const defaults: Array<{ ms: number; pixels: number }> = [];
for (const file of FILES) defaults.push(await geotiffDefault(file.path));
// A first read of each file before the timed rounds: both sides then read from the page cache, JIT warm.
for (const file of FILES) await changewatchRound(file.path);
const gdal = startGdal();
for (const file of FILES) await gdal.read(file.path);
console.log(
  `Decode throughput, whole file, median of ${ROUNDS} rounds of ${READS_PER_ROUND} reads, changewatch and GDAL alternated round by round ` +
    `(Mpx/s; higher is better; load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')})`,
);
console.log(`DEFLATE inflates with ${INFLATE_ENGINE}`);
console.log(
  'file'.padEnd(48),
  'changewatch',
  'geotiff.js',
  'GDAL 3.6',
  ' cw/geotiff',
  ' cw/GDAL',
  ' spread',
  ' goal (one thread each)',
);
for (const [index, file] of FILES.entries()) {
  const { pixels, ours, gdals } = await alternated(file.path, gdal);
  const mpx = (ms: number) => pixels / 1e6 / (ms / 1000);
  const [cw, js, native] = [mpx(median(ours)), mpx(defaults[index]!.ms), mpx(median(gdals))];
  const ratios = ratiosOf(ours, gdals);
  console.log(
    file.name.padEnd(48),
    cw.toFixed(1).padStart(11),
    js.toFixed(1).padStart(10),
    native.toFixed(1).padStart(8),
    `${(cw / js).toFixed(2)}×`.padStart(11),
    `${ratios.median.toFixed(2)}×`.padStart(8),
    ratios.spread.padStart(12),
    index === 1 ? ' ≥ 1.0× (the Earth Search layout)' : ' ≥ 0.7×',
  );
}
gdal.close();
console.log(
  `load average after: ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`,
);
await rangeRequests();
rmSync(scratch, { recursive: true, force: true });
