import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateDetailed as validateCron } from 'node-cron';
import { DEFAULT_CONFIG_FILE, ENV_CONFIG_PATH, resolveConfig, type ConfigLayers } from '../config/config.load.js';
import type { Config } from '../config/config.schema.js';
import { ChangewatchError } from './errors.js';

/** Flags that override config fields: the CLI option name and the config path it sets. */
export const CONFIG_FLAGS = [
  { option: 'stac', flag: '--stac', path: ['stac', 'url'] },
  { option: 'store', flag: '--store', path: ['store', 'url'] },
  { option: 'aoiDir', flag: '--aoi-dir', path: ['aoi', 'dir'] },
  { option: 'logLevel', flag: '--log-level', path: ['log', 'level'] },
] as const;

export interface LoadedConfig {
  config: Config;
  /** The config file used, if any. */
  file?: string;
}

/**
 * Reads the config file (`--config PATH`, else `CHANGEWATCH_CONFIG`, else `./changewatch.config.json` when it
 * exists), then layers env vars and flags over it. Throws E_CONFIG listing every problem.
 */
export function loadConfig(
  options: { config?: string } & Partial<Record<(typeof CONFIG_FLAGS)[number]['option'], string>>,
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): LoadedConfig {
  const named = options.config ?? env[ENV_CONFIG_PATH];
  const candidate = named ?? (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : undefined);
  const layers: ConfigLayers = { env };
  if (candidate !== undefined) {
    const path = resolve(cwd, candidate);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ChangewatchError('E_CONFIG', `config: cannot read ${candidate} (${code}): check the --config path`, {
        cause: error,
      });
    }
    layers.file = { path: candidate, text };
  }
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const { option, flag, path } of CONFIG_FLAGS) {
    const value = options[option];
    if (value === undefined) continue;
    let node = values;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
    names[path.join('.')] = flag;
  }
  layers.flags = { values, names };
  const result = resolveConfig(layers);
  if (!result.ok) {
    throw new ChangewatchError('E_CONFIG', result.problems.join('\n'));
  }
  // The cron syntax is node-cron's, so node-cron checks it (config/ stays free of the scheduler).
  const cron = validateCron(result.config.schedule.cron);
  if (!cron.valid) {
    const why = cron.errors.map((error) => `${error.field}: ${error.message}`).join('; ');
    throw new ChangewatchError(
      'E_CONFIG',
      `schedule.cron: "${result.config.schedule.cron}" is not a cron expression (${why}): e.g. "0 2 * * *" for 02:00 daily`,
    );
  }
  return { config: result.config, ...(candidate !== undefined ? { file: candidate } : {}) };
}
