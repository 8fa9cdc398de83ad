import type { Command } from 'commander';
import { resolve } from 'node:path';
import { accuracyTable } from '../../reports/accuracy.js';
import { estimateFrom, readLabels, readSampleFolder } from '../assess/estimate.js';
import { publishAccuracy } from '../assess/publish.js';
import { drawAssessmentSample } from '../assess/sample.js';
import { sceneChipSource } from '../assess/scene.chips.js';
import { compose } from '../compose.js';
import { ChangewatchError } from '../errors.js';
import { createLogger } from '../log.js';
import { seriesSources } from '../outputs/dossier.series.js';
import { publishedRasters } from '../scenes/store.raster.js';
import type { CliContext } from './cli.context.js';

interface SampleFlags {
  aoi: string;
  item?: string;
  product: string;
  n: string;
  minPerStratum: string;
  seed: string;
  bufferStratum: string;
  expectUsersAccuracy: string;
  expectOmission: string;
  out: string;
}

function whole(flag: string, text: string, minimum: number): number {
  if (!/^\d+$/.test(text) || Number(text) < minimum)
    throw new ChangewatchError('E_USAGE', `${flag} ${text}: not a whole number ≥ ${minimum}`);
  return Number(text);
}

function fraction(flag: string, text: string): number {
  const value = Number(text);
  if (!(text.trim() !== '' && value > 0 && value < 1))
    throw new ChangewatchError('E_USAGE', `${flag} ${text}: not a number between 0 and 1`);
  return value;
}

function metres(text: string): number {
  const value = Number(text);
  if (!(text.trim() !== '' && value >= 0 && Number.isFinite(value)))
    throw new ChangewatchError('E_USAGE', `--buffer-stratum ${text}: not a distance in metres ≥ 0`);
  return value;
}

async function sample(flags: SampleFlags, command: Command, { io, configOf }: CliContext): Promise<void> {
  const request = {
    aoiId: flags.aoi,
    ...(flags.item ? { itemId: flags.item } : {}),
    product: flags.product,
    n: whole('--n', flags.n, 2),
    minPerStratum: whole('--min-per-stratum', flags.minPerStratum, 2),
    seed: whole('--seed', flags.seed, 0),
    bufferMetres: metres(flags.bufferStratum),
    out: resolve(flags.out),
    conjecture: {
      usersAccuracy: fraction('--expect-users-accuracy', flags.expectUsersAccuracy),
      omission: fraction('--expect-omission', flags.expectOmission),
    },
  };
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const adapters = compose(config, log);
  try {
    const opener = adapters.opener();
    const drawn = await drawAssessmentSample(
      adapters.store,
      {
        rasters: publishedRasters(opener, adapters.store.url),
        scenes: async (summary) => {
          const aoi = (await adapters.loadAois()).aois.find((candidate) => candidate.id === request.aoiId);
          if (!aoi) {
            log.warn({ aoi: request.aoiId }, 'Assess:Scenes:Skipped');
            io.err(`${request.aoiId}: not in the AOI folder: the review page shows the composites only`);
            return undefined;
          }
          try {
            return await sceneChipSource({ finder: adapters.finder, config, aoi, summary, opener });
          } catch (error) {
            if (!(error instanceof ChangewatchError)) throw error;
            io.err(
              `${request.aoiId}: the item's scenes cannot be found again (${error.message}): the review page shows the composites only`,
            );
            return undefined;
          }
        },
        onProgress: (done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\rassess sample: chips ${done}/${total}`);
        },
      },
      request,
    );
    if (process.stderr.isTTY) process.stderr.write('\n');
    const { design } = drawn;
    log.info({ aoi: design.aoi, item: design.item, n: design.n, design: drawn.designSha256 }, 'Assess:Sample:Done');
    for (const [h, stratum] of design.strata.entries())
      io.out(
        `stratum ${h} ${stratum.name}: ${stratum.pixels} pixels, ${stratum.areaHa.toFixed(2)} ha, ${stratum.allocated} points`,
      );
    if (design.notAssessed.pixels > 0)
      io.out(`not assessed (not seen clear): ${design.notAssessed.areaHa.toFixed(2)} ha, no points`);
    const { changeAreaSeHa, conjecture } = design.expected;
    io.out(
      `expected standard error of the change area: ${changeAreaSeHa.toFixed(1)} ha (95 % CI ± ${(1.96 * changeAreaSeHa).toFixed(1)} ha), ` +
        `if change strata have user's accuracy ${conjecture.usersAccuracy} and ${conjecture.omission} of the other strata is missed change`,
    );
    io.out(
      `${design.units.length} points in ${drawn.folder}: label them in review/index.html (design ${drawn.designSha256})`,
    );
  } finally {
    await adapters.close();
  }
}

async function estimate(flags: { sample: string; labels: string; json?: boolean }, { io }: CliContext): Promise<void> {
  const folder = await readSampleFolder(resolve(flags.sample));
  const labels = await readLabels(resolve(flags.labels), folder);
  const result = estimateFrom(folder, labels);
  if (flags.json) {
    io.out(JSON.stringify({ design: folder.designSha256, labels: labels.sha256, ...result }, null, 2));
    return;
  }
  io.out(accuracyTable(result.figures, result.notes));
}

interface PublishFlags {
  sample: string;
  labels: string;
  by: string;
  on?: string;
}

async function publish(flags: PublishFlags, command: Command, { io, configOf }: CliContext): Promise<void> {
  const on = flags.on ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(on) || Number.isNaN(Date.parse(on)))
    throw new ChangewatchError('E_USAGE', `--on ${on}: not a date (YYYY-MM-DD)`);
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const adapters = compose(config, log);
  try {
    const published = await publishAccuracy(
      adapters.store,
      {
        folder: resolve(flags.sample),
        labels: resolve(flags.labels),
        by: flags.by,
        on,
        basemap: config.reports.basemap,
      },
      {
        aoiOf: async (id) => (await adapters.loadAois()).aois.find((aoi) => aoi.id === id),
        dossierReaders: (aoi) => {
          const opener = adapters.opener();
          const series = seriesSources({ finder: adapters.finder, config, aoi, opener });
          return { rasters: publishedRasters(opener, adapters.store.url), series };
        },
      },
    );
    log.info({ key: published.key, report: published.report, dossiers: published.dossiers }, 'Assess:Publish:Done');
    const pages =
      published.dossiers === undefined
        ? '; the AOI file is not at hand: the next run renders its pages'
        : `; ${published.dossiers} dossier(s)`;
    io.out(`${adapters.store.url}/${published.key}${published.report ? `; report ${published.report}` : ''}${pages}`);
  } finally {
    await adapters.close();
  }
}

/** `changewatch assess sample|estimate|publish`: error-adjusted areas with confidence intervals (Olofsson 2014). */
export function registerAssess(program: Command, context: CliContext): void {
  const assess = program
    .command('assess')
    .description('accuracy assessment: a stratified sample, reference labels, error-adjusted areas with 95 % CIs');
  assess
    .command('sample')
    .description('draw a stratified random sample of pixels from a published class raster, with a review page')
    .requiredOption('--aoi <id>', 'the AOI')
    .option('--item <id>', 'the item (default: the latest)')
    .requiredOption('--product <type>', 'the product whose classes are the strata, e.g. forest-loss')
    .requiredOption('--n <N>', 'sample size (points)')
    .option('--min-per-stratum <K>', 'at least K points per stratum, the rest by area', '50')
    .option('--seed <S>', 'seed of the draw: the same seed draws the same points', '1')
    .option('--buffer-stratum <metres>', 'stable pixels this close to change form a stratum (catches omission)', '0')
    .option('--expect-users-accuracy <U>', "conjectured user's accuracy of change, for the expected SE", '0.8')
    .option('--expect-omission <O>', 'conjectured share of missed change in the other strata', '0.005')
    .requiredOption('--out <dir>', 'the sample folder')
    .action((flags: SampleFlags, command: Command) => sample(flags, command, context));
  assess
    .command('estimate')
    .description("the error matrix, user's/producer's/overall accuracy and error-adjusted areas with 95 % CIs")
    .requiredOption('--sample <dir>', 'the sample folder')
    .requiredOption('--labels <csv>', 'reference labels: id, reference, design_sha256 (the review page writes them)')
    .option('--json', 'print JSON')
    .action((flags: { sample: string; labels: string; json?: boolean }) => estimate(flags, context));
  assess
    .command('publish')
    .description("add the estimate to the item as its accuracy asset, and show it on the item's report page")
    .requiredOption('--sample <dir>', 'the sample folder')
    .requiredOption('--labels <csv>', 'reference labels')
    .requiredOption('--by <name>', 'who labelled (recorded as given)')
    .option('--on <date>', 'when the labels were made, YYYY-MM-DD (default: today)')
    .action((flags: PublishFlags, command: Command) => publish(flags, command, context));
}
