import { describe, expect, it } from 'vitest';
import { ENV_FIELDS, envName, redactConfig, resolveConfig, REDACTED } from '../../../config/config.load.js';
import { EARTH_SEARCH_V1 } from '../../../config/config.schema.js';

const file = (value: unknown) => ({ path: 'changewatch.config.json', text: JSON.stringify(value) });

describe('resolveConfig', () => {
  it('has the documented defaults', () => {
    const result = resolveConfig({ env: {} });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.stac.url).toBe(EARTH_SEARCH_V1);
    expect(result.config.store.url).toBe('file://./out');
    expect(result.config.aoi).toEqual({ dir: 'aoi', maxAreaKm2: 10_000 });
  });

  it('layers file < env < flags and records where each value came from', () => {
    const result = resolveConfig({
      file: file({
        stac: { url: 'http://file', maxCloudCover: 10 },
        store: { url: 'file:///data' },
        aoi: { dir: 'mine' },
      }),
      env: { CHANGEWATCH_STAC_URL: 'http://env', CHANGEWATCH_STAC_MAX_CLOUD_COVER: '20', PATH: '/bin' },
      flags: { values: { stac: { url: 'http://flag' } }, names: { 'stac.url': '--stac' } },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.stac.url).toBe('http://flag');
    expect(result.config.stac.maxCloudCover).toBe(20);
    expect(result.config.store.url).toBe('file:///data');
    expect(result.config.aoi.dir).toBe('mine');
    expect(result.sources.get('stac.url')).toBe('flag --stac');
    expect(result.sources.get('stac.maxCloudCover')).toBe('env CHANGEWATCH_STAC_MAX_CLOUD_COVER');
    expect(result.sources.get('aoi.dir')).toBe('file changewatch.config.json');
  });

  it('parses env values by the type of their field', () => {
    const result = resolveConfig({
      env: {
        CHANGEWATCH_STORE_S3_FORCE_PATH_STYLE: 'true',
        CHANGEWATCH_STAC_COLLECTIONS: '["sentinel-2-c1-l2a","landsat-c2-l2"]',
        CHANGEWATCH_AOI_MAX_AREA_KM2: '500.5',
      },
    });
    expect(result.ok && result.config.store.s3.forcePathStyle).toBe(true);
    expect(result.ok && result.config.stac.collections).toEqual(['sentinel-2-c1-l2a', 'landsat-c2-l2']);
    expect(result.ok && result.config.aoi.maxAreaKm2).toBe(500.5);
  });

  it('analysis.resolution is auto by default, a number or auto from the environment, and refuses other words', () => {
    const number = resolveConfig({ env: { CHANGEWATCH_ANALYSIS_RESOLUTION: '30' } });
    expect(number.ok && number.config.analysis.resolution).toBe(30);
    const auto = resolveConfig({ env: { CHANGEWATCH_ANALYSIS_RESOLUTION: 'auto' } });
    expect(auto.ok && auto.config.analysis.resolution).toBe('auto');
    expect(resolveConfig({ env: { CHANGEWATCH_ANALYSIS_RESOLUTION: 'fine' } }).ok).toBe(false);
  });

  it('carries the analysis thresholds with their documented defaults, settable from env and refused out of range', () => {
    const result = resolveConfig({ env: { CHANGEWATCH_ANALYSIS_FOREST_LOSS_NDVI_DROP: '0.25' } });
    expect(result.ok && result.config.analysis).toMatchObject({
      resolution: 'auto',
      blockSize: 512,
      cloud: { openPx: 2, dilatePx: 5, excludeSnow: true },
      forestLoss: { forestNdvi: 0.6, ndviDrop: 0.25, minimumMappingUnitHa: 0.2 },
      settlementChange: { minimumMappingUnitHa: 0.1 },
      miningExpansion: { minimumMappingUnitHa: 0.5 },
    });
    const bad = resolveConfig({
      env: {},
      file: file({ analysis: { forestLoss: { forestNdvi: 1.5 }, cloud: { openPx: -1 } } }),
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.join('\n')).toMatch(
      /analysis\.forestLoss\.forestNdvi \[file changewatch\.config\.json\]: Too big/,
    );
    expect(!bad.ok && bad.problems.join('\n')).toMatch(/analysis\.cloud\.openPx/);
  });

  it('treats an empty env var as unset, never as 0', () => {
    const result = resolveConfig({ env: { CHANGEWATCH_STAC_MAX_CLOUD_COVER: '' } });
    expect(result.ok && result.config.stac.maxCloudCover).toBe(60);
  });

  it('reports every problem with its path and source, never falling back silently', () => {
    const result = resolveConfig({
      file: file({ stac: { maxCloudCover: 'lots', colections: [] }, extra: 1 }),
      env: {
        CHANGEWATCH_AOI_MAX_AREA_KM2: 'big',
        CHANGEWATCH_STAC_URLL: 'x',
        CHANGEWATCH_STORE_S3_FORCE_PATH_STYLE: 'maybe',
      },
      flags: { values: { store: { url: 'ftp://nope' } }, names: { 'store.url': '--store' } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    expect(text).toContain('env CHANGEWATCH_STAC_URLL: unknown variable');
    expect(text).toContain(
      'stac.maxCloudCover [file changewatch.config.json]: Invalid input: expected number, received string',
    );
    expect(text).toMatch(/stac \[file changewatch.config.json\]: Unrecognized key: "colections"/);
    expect(text).toContain('(root)');
    expect(text).toContain('aoi.maxAreaKm2 [env CHANGEWATCH_AOI_MAX_AREA_KM2]');
    expect(text).toContain('store.s3.forcePathStyle [env CHANGEWATCH_STORE_S3_FORCE_PATH_STYLE]');
    expect(text).toContain('store.url [flag --store]: must be file://PATH or s3://BUCKET');
    expect(result.problems.length).toBeGreaterThanOrEqual(6);
  });

  it('says so when the file is not JSON', () => {
    const result = resolveConfig({ file: { path: 'c.json', text: '{ stac: ' }, env: {} });
    expect(!result.ok && result.problems[0]).toMatch(/^c\.json: not valid JSON/);
  });

  it('maps every field to a CHANGEWATCH_ variable', () => {
    expect(envName(['stac', 'maxCloudCover'])).toBe('CHANGEWATCH_STAC_MAX_CLOUD_COVER');
    // Units are words: MiB (a lowercase letter inside), Km2 (digits stay with their letters), Ms, Px, Ha.
    expect(envName(['analysis', 'memoryLimitMiB'])).toBe('CHANGEWATCH_ANALYSIS_MEMORY_LIMIT_MIB');
    expect(envName(['aoi', 'maxAreaKm2'])).toBe('CHANGEWATCH_AOI_MAX_AREA_KM2');
    expect(envName(['stac', 'timeoutMs'])).toBe('CHANGEWATCH_STAC_TIMEOUT_MS');
    expect(envName(['analysis', 'forestLoss', 'minimumMappingUnitHa'])).toBe(
      'CHANGEWATCH_ANALYSIS_FOREST_LOSS_MINIMUM_MAPPING_UNIT_HA',
    );
    expect(envName(['store', 's3', 'forcePathStyle'])).toBe('CHANGEWATCH_STORE_S3_FORCE_PATH_STYLE');
    expect(envName(['x', 'cacheKiBPerGiB', 'sourceURLPath'])).toBe('CHANGEWATCH_X_CACHE_KIB_PER_GIB_SOURCE_URL_PATH');
    const memory = resolveConfig({ env: { CHANGEWATCH_ANALYSIS_MEMORY_LIMIT_MIB: '4096' } });
    expect(memory.ok && memory.config.analysis.memoryLimitMiB).toBe(4096);
    expect(ENV_FIELDS.map((field) => field.env)).toContain('CHANGEWATCH_STORE_S3_ENDPOINT');
  });
});

describe('redactConfig', () => {
  it('hides secret fields and credentials in URLs', () => {
    const result = resolveConfig({
      env: {
        CHANGEWATCH_STAC_HEADERS: '{"Authorization":"Bearer s3cr3t"}',
        CHANGEWATCH_STAC_URL: 'https://user:pw@stac.example/v1?token=abc',
      },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const text = JSON.stringify(redactConfig(result.config));
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('abc');
    expect(text).not.toContain(':pw@');
    expect(text).toContain(`"Authorization":"${REDACTED}"`);
    expect(text).toContain(`token=${REDACTED}`);
    // the config itself is untouched
    expect(result.config.stac.headers.Authorization).toBe('Bearer s3cr3t');
  });
  it('takes CHANGEWATCH_S3_FORCE_PATH_STYLE as the path-style switch', () => {
    const result = resolveConfig({ env: { CHANGEWATCH_S3_FORCE_PATH_STYLE: 'true' } });
    expect(result.ok && result.config.store.s3.forcePathStyle).toBe(true);
  });
});
