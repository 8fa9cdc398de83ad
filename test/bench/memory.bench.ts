/**
 * `npm run bench`, third part: peak memory against grid size. The computation still holds whole-AOI arrays, so
 * memory grows with the AOI's grid; this measures that growth on two seed AOIs (each in its own process) and
 * prints bytes per grid pixel, the figure run plans use to refuse AOIs over analysis.memoryLimitMiB.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { FOREST_LOSS_BASE_BYTES, FOREST_LOSS_BYTES_PER_PIXEL } from '../../pipeline/run.plan.js';
import { ROOT } from '../helpers/paths.js';

interface MemoryFigures {
  aoi: string;
  pixels: number;
  seconds: number;
  maxRssKiB: number;
  outputBytes: number;
}

const runner = join(ROOT, 'dist-bench', 'test', 'bench', 'memory.run.js');
const figures = ['namoya', 'kamituga'].map(
  (aoi) =>
    JSON.parse(
      execFileSync(process.execPath, [runner, aoi], { encoding: 'utf8' }).trim().split('\n').pop()!,
    ) as MemoryFigures,
);
const mib = (bytes: number) => (bytes / 1_048_576).toFixed(0);
process.stdout.write('\nPeak memory of forest loss + outputs against grid size (no imagery; whole-AOI arrays)\n');
process.stdout.write('AOI        grid Mpx  peak RSS MiB  estimate MiB  seconds\n');
for (const figure of figures) {
  const estimate = FOREST_LOSS_BASE_BYTES + figure.pixels * FOREST_LOSS_BYTES_PER_PIXEL;
  process.stdout.write(
    `${figure.aoi.padEnd(10)} ${(figure.pixels / 1e6).toFixed(1).padStart(8)}  ${mib(figure.maxRssKiB * 1024).padStart(12)}  ${mib(estimate).padStart(12)}  ${figure.seconds.toFixed(1).padStart(7)}\n`,
  );
}
const [small, large] = figures as [MemoryFigures, MemoryFigures];
const slope = ((large.maxRssKiB - small.maxRssKiB) * 1024) / (large.pixels - small.pixels);
process.stdout.write(
  `growth: ${slope.toFixed(1)} bytes per grid pixel (the plan assumes ${FOREST_LOSS_BYTES_PER_PIXEL}); Kahuzi-Biega's 170 Mpx grid at 10 m ≈ ${((FOREST_LOSS_BASE_BYTES + 170e6 * slope) / 2 ** 30).toFixed(1)} GiB\n`,
);
