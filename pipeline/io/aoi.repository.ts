import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findDuplicateIds, parseAoi, type AoiParseOptions } from '../../aoi/aoi.parse.js';
import { formatProblem, isAoiPath, type Aoi, type AoiProblem } from '../../aoi/aoi.schema.js';
import { ChangewatchError } from '../errors.js';

export interface AoiLoad {
  aois: Aoi[];
  problems: AoiProblem[];
}

/** Reads and validates AOI files; duplicate ids across the files are problems too. */
export async function loadAoiFiles(files: readonly string[], options: AoiParseOptions): Promise<AoiLoad> {
  const aois: Aoi[] = [];
  const problems: AoiProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      const hint =
        code === 'ENOENT'
          ? 'check the path'
          : code === 'EISDIR'
            ? 'name the .geojson files in it'
            : 'check permissions';
      problems.push({ file, message: `cannot read (${code}): ${hint}` });
      continue;
    }
    const result = parseAoi(text, file, options);
    if (result.aoi) aois.push(result.aoi);
    problems.push(...result.problems);
  }
  problems.push(...findDuplicateIds(aois));
  const duplicated = new Set(problems.filter((p) => p.message.startsWith('duplicate AOI id')).map((p) => p.file));
  return { aois: aois.filter((aoi) => !duplicated.has(aoi.file)), problems };
}

/** The AOI files of a folder: every `*.geojson`, sorted by name. */
export async function aoiFilesIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ChangewatchError('E_CONFIG', `${dir}: cannot list the AOI folder (${code}): set aoi.dir or --aoi-dir`, {
      cause: error,
    });
  }
  return names
    .filter((name) => name.endsWith('.geojson'))
    .sort()
    .map((name) => join(dir, name));
}

/** Loads every AOI of a folder. */
export async function loadAoiDir(dir: string, options: AoiParseOptions): Promise<AoiLoad> {
  return loadAoiFiles(await aoiFilesIn(dir), options);
}

/**
 * An AOI named on the command line: a path to a GeoJSON file (anything with a `/` or ending in `.geojson`), or
 * the id of an AOI in the configured folder. Throws E_AOI with every problem, or when the id is unknown.
 */
export async function resolveAoi(reference: string, dir: string, options: AoiParseOptions): Promise<Aoi> {
  const isPath = isAoiPath(reference);
  const result = isPath ? await loadAoiFiles([reference], options) : await loadAoiDir(dir, options);
  const aoi = result.aois.find((candidate) => (isPath ? true : candidate.id === reference));
  const own = result.problems.filter((problem) => isPath || problem.file === aoi?.file);
  if (own.length > 0 || !aoi) {
    const lines = own.map(formatProblem);
    if (!aoi && !isPath) {
      lines.push(
        `--aoi ${reference}: no AOI with that id in ${dir} (${result.aois.map((a) => a.id).join(', ') || 'none'}): give an id from "changewatch aoi list" or a path to a .geojson file`,
      );
    }
    throw new ChangewatchError('E_AOI', lines.join('\n'));
  }
  return aoi;
}
