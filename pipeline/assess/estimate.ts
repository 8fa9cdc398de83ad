import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { accuracyFigures, CANT_TELL, SampleDesignSchema, type SampleDesign } from '../../reports/accuracy.js';
import { parseCsv } from '../../reports/csv.js';
import { estimateAccuracy, type LabelledUnit } from '../../workers/accuracy/estimate.js';
import { ChangewatchError } from '../errors.js';
import { sha256Hex } from '../outputs/layout.js';

/**
 * `changewatch assess estimate`: the sample folder's design and map classes, checked against their digests, the
 * labels checked against the design (one line per problem), and the estimate.
 */
export interface SampleFolder {
  design: SampleDesign;
  designSha256: string;
  /** Each unit's map class, by unit id. */
  mapClass: Map<string, string>;
}

async function readOrSay(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ChangewatchError('E_USAGE', `${path}: cannot read ${what} (${(error as Error).message})`);
  }
}

export async function readSampleFolder(folder: string): Promise<SampleFolder> {
  const designBytes = await readOrSay(
    join(folder, 'design.json'),
    'the sample design: give the folder "assess sample --out" wrote (a draw that was interrupted has none: draw again)',
  );
  const parsed = SampleDesignSchema.safeParse(JSON.parse(designBytes.toString('utf8')));
  if (!parsed.success)
    throw new ChangewatchError(
      'E_USAGE',
      `${folder}/design.json: not a changewatch sample design: ${parsed.error.message}`,
    );
  const mapBytes = await readOrSay(join(folder, 'map-classes.csv'), "the units' map classes");
  if (sha256Hex(mapBytes) !== parsed.data.mapClassesSha256) {
    throw new ChangewatchError(
      'E_USAGE',
      `${folder}/map-classes.csv: its sha256 is not the one the design records (${parsed.data.mapClassesSha256}): the sample was altered; draw it again`,
    );
  }
  const mapClass = new Map(
    parseCsv(mapBytes.toString('utf8'))
      .slice(1)
      .map((row) => [row.fields[0]!, row.fields[1]!] as const),
  );
  return { design: parsed.data, designSha256: sha256Hex(designBytes), mapClass };
}

export interface Labels {
  sha256: string;
  reference: Map<string, string>;
  cantTell: string[];
}

/** Every problem of a labels file against the sample, each a line that says where and what to do. */
function labelProblems(
  file: string,
  text: string,
  sample: SampleFolder,
): { problems: string[]; reference: Map<string, string> } {
  const [header, ...rows] = parseCsv(text);
  const columns = header?.fields.map((name) => name.trim().toLowerCase()) ?? [];
  const at = (name: string) => columns.indexOf(name);
  const missing = ['id', 'reference', 'design_sha256'].filter((name) => at(name) < 0);
  if (missing.length > 0)
    return {
      problems: [
        `${file}:1: no column ${missing.join(', ')}: keep the columns of sample.csv (id, design_sha256) and add "reference"`,
      ],
      reference: new Map(),
    };
  const known = new Set(sample.design.units.map((unit) => unit.id));
  const allowed = [...sample.design.classes, CANT_TELL];
  const problems: string[] = [];
  const reference = new Map<string, string>();
  const mentioned = new Set<string>();
  for (const row of rows) {
    const [id, label, digest] = [at('id'), at('reference'), at('design_sha256')].map((i) =>
      (row.fields[i] ?? '').trim(),
    );
    const where = `${file}:${row.line}`;
    mentioned.add(id!);
    if (digest !== sample.designSha256)
      problems.push(
        `${where}: labels a sample with design ${digest || '(none)'}, not this one (${sample.designSha256}): label the points of this sample`,
      );
    else if (!known.has(id!))
      problems.push(`${where}: unknown sample id ${JSON.stringify(id)}: use the ids of sample.csv`);
    else if (!allowed.includes(label!))
      problems.push(`${where}: ${id}: class ${JSON.stringify(label)} is not one of ${allowed.join(', ')}`);
    else if (reference.has(id!)) problems.push(`${where}: ${id} is labelled twice: keep one row per point`);
    else reference.set(id!, label!);
  }
  for (const unit of sample.design.units)
    if (!mentioned.has(unit.id)) problems.push(`${file}: ${unit.id} has no label: label it (or "${CANT_TELL}")`);
  return { problems, reference };
}

export async function readLabels(path: string, sample: SampleFolder): Promise<Labels> {
  const bytes = await readOrSay(path, 'the labels');
  const { problems, reference } = labelProblems(path, bytes.toString('utf8'), sample);
  if (problems.length > 0) throw new ChangewatchError('E_USAGE', problems.join('\n'));
  const cantTell = [...reference].filter(([, label]) => label === CANT_TELL).map(([id]) => id);
  return { sha256: sha256Hex(bytes), reference, cantTell };
}

export function estimateFrom(sample: SampleFolder, labels: Labels) {
  const { design } = sample;
  const index = (name: string) => design.classes.indexOf(name);
  const units: LabelledUnit[] = design.units
    .filter((unit) => labels.reference.get(unit.id) !== CANT_TELL)
    .map((unit) => ({
      stratum: unit.stratum,
      map: index(sample.mapClass.get(unit.id)!),
      reference: index(labels.reference.get(unit.id)!),
    }));
  try {
    const estimate = estimateAccuracy({ strata: design.strata, classes: design.classes, units });
    return {
      figures: accuracyFigures(estimate, design.mappedHa),
      used: units.length,
      notes: notesOf(sample, labels, units),
    };
  } catch (error) {
    if (error instanceof RangeError)
      throw new ChangewatchError('E_USAGE', `assess estimate: ${error.message}: label more points of that stratum`);
    throw error;
  }
}

function notesOf(sample: SampleFolder, labels: Labels, units: readonly LabelledUnit[]): string[] {
  const { design } = sample;
  const notes = [
    `${units.length} reference points used; ${labels.cantTell.length} labelled "can't tell" and left out${labels.cantTell.length ? ` (${labels.cantTell.join(', ')})` : ''}.`,
  ];
  if (design.notAssessed.pixels > 0)
    notes.push(
      `Not assessed: ${design.notAssessed.areaHa.toFixed(2)} ha not seen clear in one of the periods (no finding either way, outside the estimate).`,
    );
  const thin = design.strata.filter(
    (stratum, h) => stratum.pixels > 0 && units.filter((u) => u.stratum === h).length < 2,
  );
  if (thin.length > 0)
    notes.push(
      `Stratum ${thin.map((s) => s.name).join(', ')} has fewer than two usable points: its variance, and so the CI, is unknown.`,
    );
  return notes;
}
