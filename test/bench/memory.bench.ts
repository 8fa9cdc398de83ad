/**
 * `npm run bench`, third part: peak memory against grid size, up to Kahuzi-Biega's 170 Mpx grid at 10 m (each AOI
 * in its own process, with the CLI's V8 flags). Blocks stream to disk, so peak memory should not follow the grid: this prints the growth
 * per grid pixel between the smallest and the largest, against the figure run plans use to refuse AOIs over
 * analysis.memoryLimitMiB, and the bound of 2 GiB.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { RUN_BASE_BYTES, RUN_BYTES_PER_PIXEL } from '../../pipeline/run/run.plan.js';
import { CLI_NODE_FLAGS } from '../../pipeline/node.flags.js';
import { ROOT } from '../helpers/paths.js';

interface MemoryFigures {
  aoi: string;
  pixels: number;
  seconds: number;
  maxRssKiB: number;
  outputBytes: number;
}

const runner = join(ROOT, 'dist-bench', 'test', 'bench', 'memory.run.js');
const figures = ['namoya', 'kamituga', 'kibali', 'kahuzi-biega'].map(
  (aoi) =>
    JSON.parse(
      execFileSync(process.execPath, [...CLI_NODE_FLAGS, runner, aoi], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop()!,
    ) as MemoryFigures,
);
const mib = (bytes: number) => (bytes / 1_048_576).toFixed(0);
process.stdout.write('\nPeak memory of forest loss + all outputs against grid size (no imagery; blocks streamed)\n');
process.stdout.write('AOI           grid Mpx  peak RSS MiB  estimate MiB  seconds  outputs MiB\n');
for (const figure of figures) {
  const estimate = RUN_BASE_BYTES + figure.pixels * RUN_BYTES_PER_PIXEL;
  process.stdout.write(
    `${figure.aoi.padEnd(13)} ${(figure.pixels / 1e6).toFixed(1).padStart(8)}  ${mib(figure.maxRssKiB * 1024).padStart(12)}  ${mib(estimate).padStart(12)}  ${figure.seconds.toFixed(1).padStart(7)}  ${(figure.outputBytes / 1_048_576).toFixed(1).padStart(11)}\n`,
  );
}
const small = figures[0]!;
const large = figures[figures.length - 1]!;
const slope = ((large.maxRssKiB - small.maxRssKiB) * 1024) / (large.pixels - small.pixels);
const peak = Math.max(...figures.map((figure) => figure.maxRssKiB * 1024));
process.stdout.write(
  `growth: ${slope.toFixed(2)} bytes per grid pixel from ${small.aoi} to ${large.aoi} (the plan assumes ${RUN_BYTES_PER_PIXEL}); highest peak ${mib(peak)} MiB, ${peak < 2 * 2 ** 30 ? 'under' : 'OVER'} the 2 GiB bound\n`,
);
