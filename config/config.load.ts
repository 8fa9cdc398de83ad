import type { z } from 'zod';
import { ConfigSchema, secretFields, type Config } from './config.schema.js';

/**
 * Resolves the configuration from its three layers, lowest first: the JSON config file, `CHANGEWATCH_*`
 * environment variables, then command-line flags. Pure: the caller reads the file and passes its text.
 */

/** Prefix of every environment variable changewatch reads. */
export const ENV_PREFIX = 'CHANGEWATCH_';
/** Names a config file; read by the caller, not a config field. */
export const ENV_CONFIG_PATH = 'CHANGEWATCH_CONFIG';
/** The config file looked for in the working directory when neither `--config` nor the env var names one. */
export const DEFAULT_CONFIG_FILE = 'changewatch.config.json';

export type ConfigSource = 'default' | `file ${string}` | `env ${string}` | `flag ${string}`;

export interface ConfigLayers {
  /** The config file, if any: its path (for messages) and text. */
  file?: { path: string; text: string };
  /** The process environment; only `CHANGEWATCH_*` names are read. */
  env: Record<string, string | undefined>;
  /** Values from command-line flags, as a partial config object, with the flag that set each leaf. */
  flags?: { values: Record<string, unknown>; names: Record<string, string> };
}

export type ConfigResult =
  { ok: true; config: Config; sources: Map<string, ConfigSource> } | { ok: false; problems: string[] };

interface Leaf {
  path: string[];
  schema: z.ZodType;
}

type Def = { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { def: Def }).def;

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable'].includes(def.type)) current = def.innerType;
    else return current;
  }
}

function leaves(schema: z.ZodType, path: string[] = []): Leaf[] {
  const inner = unwrap(schema);
  const def = defOf(inner);
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return [{ path, schema }];
}

/**
 * Unit symbols with a lowercase letter inside, kept as one word: the IEC 80000-13 binary prefixes with B (`KiB`,
 * `MiB`, `GiB`…). Without this rule `memoryLimitMiB` would give `…_MEMORY_LIMIT_MI_B`.
 */
const MIXED_CASE_UNIT = /([KMGTPEZY]i)B(?![a-z])/g;

/**
 * One camelCase path segment as a SNAKE_CASE word list. The rule: a word starts at each capital that follows a
 * lowercase letter or a digit (`maxCloudCover` → `MAX_CLOUD_COVER`), and at the last capital of a run of capitals
 * that a lowercase letter follows (`URLPath` → `URL_PATH`); digits stay with the letters before them (`maxAreaKm2` →
 * `MAX_AREA_KM2`, `s3` → `S3`); and a unit symbol with a lowercase letter inside (`MiB`, `KiB`, `GiB`) is one word
 * (`memoryLimitMiB` → `MEMORY_LIMIT_MIB`). Unit suffixes written as one capital and lowercase letters (`Ms`, `Px`,
 * `Ha`, `Km2`) are ordinary words already.
 */
function snakeWords(part: string): string {
  return part
    .replace(MIXED_CASE_UNIT, (_, prefix: string) => `${prefix}b`)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

/**
 * The environment variable of a config field: `CHANGEWATCH_`, then each path segment's words ({@link snakeWords})
 * joined by `_`. `stac.maxCloudCover` → `CHANGEWATCH_STAC_MAX_CLOUD_COVER`, `analysis.memoryLimitMiB` →
 * `CHANGEWATCH_ANALYSIS_MEMORY_LIMIT_MIB`.
 */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map(snakeWords).join('_');
}

/** Shorter names operators expect, for the same fields (the S3 path-style switch as S3 tools document it). */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  CHANGEWATCH_S3_FORCE_PATH_STYLE: 'CHANGEWATCH_STORE_S3_FORCE_PATH_STYLE',
};

/** Every config field that can be set from the environment, with its variable name. */
export const ENV_FIELDS: ReadonlyArray<{ env: string; path: string[]; schema: z.ZodType }> = leaves(ConfigSchema).map(
  (leaf) => ({ env: envName(leaf.path), ...leaf }),
);

function parseEnvValue(raw: string, schema: z.ZodType): unknown {
  // An empty variable means "not set": z.coerce.number('') would silently give 0.
  if (raw.trim() === '') return undefined;
  switch (defOf(unwrap(schema)).type) {
    case 'number': {
      const value = Number(raw);
      return Number.isFinite(value) ? value : raw;
    }
    case 'union': {
      // A number or a keyword (analysis.resolution: 30 or auto).
      const value = Number(raw);
      return Number.isFinite(value) ? value : raw;
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      return raw;
    case 'record':
    case 'array':
    case 'object':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of `over` into `base`, recording which source set each leaf. Arrays and records replace. */
function mergeLayer(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  sources: Map<string, ConfigSource>,
  sourceOf: (path: string[]) => ConfigSource,
  path: string[] = [],
): void {
  const leafPaths = new Set(ENV_FIELDS.map((field) => field.path.join('.')));
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const here = [...path, key];
    if (isPlainObject(value) && !leafPaths.has(here.join('.'))) {
      if (!isPlainObject(base[key])) base[key] = {};
      mergeLayer(base[key] as Record<string, unknown>, value, sources, sourceOf, here);
    } else {
      base[key] = value;
      sources.set(here.join('.'), sourceOf(here));
    }
  }
}

/** Resolves and validates the configuration; on failure, every problem with its path and where it came from. */
export function resolveConfig(layers: ConfigLayers): ConfigResult {
  const problems: string[] = [];
  const merged: Record<string, unknown> = {};
  const sources = new Map<string, ConfigSource>();

  if (layers.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(layers.file.text);
    } catch (error) {
      return {
        ok: false,
        problems: [`${layers.file.path}: not valid JSON (${(error as Error).message}): fix the file's syntax`],
      };
    }
    if (!isPlainObject(parsed)) {
      return { ok: false, problems: [`${layers.file.path}: must hold a JSON object`] };
    }
    const filePath = layers.file.path;
    mergeLayer(merged, parsed, sources, () => `file ${filePath}`);
  }

  const envValues: Record<string, unknown> = {};
  const envNames = new Map<string, string>();
  const known = new Map(ENV_FIELDS.map((field) => [field.env, field]));
  for (const [name, raw] of Object.entries(layers.env)) {
    if (!name.startsWith(ENV_PREFIX) || name === ENV_CONFIG_PATH || raw === undefined) continue;
    const field = known.get(ENV_ALIASES[name] ?? name);
    if (!field) {
      problems.push(`env ${name}: unknown variable: use one of ${[...known.keys()].join(', ')}`);
      continue;
    }
    const value = parseEnvValue(raw, field.schema);
    if (value === undefined) continue;
    setPath(envValues, field.path, value);
    envNames.set(field.path.join('.'), name);
  }
  mergeLayer(merged, envValues, sources, (path) => `env ${envNames.get(path.join('.')) ?? envName(path)}`);

  if (layers.flags) {
    const names = layers.flags.names;
    mergeLayer(merged, layers.flags.values, sources, (path) => `flag ${names[path.join('.')] ?? path.join('.')}`);
  }

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map(String);
      const where = findSource(sources, path);
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      problems.push(`${path.join('.') || '(root)'}${where ? ` [${where}]` : ''}: ${issue.message}${keys}`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  if (!result.success) throw new Error('unreachable: parse failed without issues');
  return { ok: true, config: result.data, sources };
}

function findSource(sources: Map<string, ConfigSource>, path: string[]): ConfigSource | undefined {
  for (let length = path.length; length > 0; length--) {
    const source = sources.get(path.slice(0, length).join('.'));
    if (source) return source;
  }
  // A problem on an object (e.g. unknown keys) belongs to whichever source set something beneath it.
  const prefix = path.join('.');
  for (const [key, source] of sources) if (prefix === '' || key.startsWith(`${prefix}.`)) return source;
  return undefined;
}

export const REDACTED = '<redacted>';

/** The config with every secret field replaced and credentials stripped from URLs: safe to print or log. */
export function redactConfig(config: Config): unknown {
  return redactValue(ConfigSchema, config);
}

function redactValue(schema: z.ZodType, value: unknown): unknown {
  if (secretFields.has(schema) || secretFields.has(unwrap(schema))) {
    if (isPlainObject(value)) return Object.fromEntries(Object.keys(value).map((key) => [key, REDACTED]));
    return value === undefined ? undefined : REDACTED;
  }
  const def = defOf(unwrap(schema));
  if (def.type === 'object' && def.shape && isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        def.shape![key] ? redactValue(def.shape![key]!, child) : child,
      ]),
    );
  }
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return stripUrlSecrets(value);
  return value;
}

function stripUrlSecrets(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = REDACTED;
    if (url.username) url.username = REDACTED;
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, REDACTED);
    // URL-encoding would turn <redacted> into %3Credacted%3E; keep it readable.
    return url.href.replaceAll(encodeURIComponent(REDACTED), REDACTED);
  } catch {
    return text;
  }
}
