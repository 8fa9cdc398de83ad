import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { aoiGrid } from '../../aoi/aoi.grid.js';
import { ENV_FIELDS, resolveConfig } from '../../config/config.load.js';
import { loadAoiFiles } from '../../pipeline/io/aoi.repository.js';
import { RUN_BASE_BYTES, RUN_BYTES_PER_PIXEL } from '../../pipeline/run/run.plan.js';
import { ROOT } from '../helpers/paths.js';

/**
 * deploy/kubernetes/ (README "Scaling out"), checked offline. Every object validates against the Kubernetes API's
 * schemas (kubernetes-models: field types, enums, required fields; it does not refuse unknown fields, which the API
 * server's strict field validation does at `kubectl apply`), and the structure the Indexed Job contract needs is
 * asserted field by field, by the names the API uses, so a misspelt key fails here too. The config and the pods'
 * variables go through changewatch's own config resolver, and the resources are checked against the plan's memory
 * and scratch estimates of the AOIs the ConfigMap ships.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIR = join(ROOT, 'deploy', 'kubernetes');
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'batch/v1/CronJob': CronJob as never,
  'v1/ConfigMap': ConfigMap as never,
};

function manifests(): Json[] {
  return readdirSync(DIR)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .flatMap((name) =>
      parseAllDocuments(readFileSync(join(DIR, name), 'utf8')).map((doc) => {
        expect(doc.errors, name).toEqual([]);
        return { ...(doc.toJS() as Json), file: name };
      }),
    );
}

const byKind = (kind: string, name: string) => manifests().find((m) => m.kind === kind && m.metadata.name === name)!;

/** A Kubernetes quantity in bytes (binary and decimal suffixes) or cores. */
function quantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(String(text));
  if (!match) throw new Error(`not a quantity: ${text}`);
  const scale = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12, m: 1e-3 };
  return Number(match[1]) * (match[2] ? scale[match[2] as keyof typeof scale] : 1);
}

function podOf(cronJob: Json): { job: Json; pod: Json; container: Json; env: Map<string, Json> } {
  const job = cronJob.spec.jobTemplate.spec;
  const pod = job.template.spec;
  const container = pod.containers.find((c: Json) => c.name === 'changewatch');
  return { job, pod, container, env: new Map(container.env.map((e: Json) => [e.name, e])) };
}

describe('deploy/kubernetes', () => {
  it('validates against the Kubernetes API schemas (and a broken copy does not)', () => {
    const all = manifests();
    expect(all.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/changewatch-aois',
      'ConfigMap/changewatch-config',
      'CronJob/changewatch-nightly',
    ]);
    for (const { file, ...manifest } of all) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `${file}: ${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model!(manifest as never).validate(), `${file}: ${manifest.metadata.name}`).not.toThrow();
    }
    const broken = structuredClone(byKind('CronJob', 'changewatch-nightly'));
    delete broken.file;
    broken.spec.jobTemplate.spec.completionMode = 'Indexd';
    expect(() => new CronJob(broken as never).validate()).toThrow(/completionMode/);
  });

  it('starts an Indexed Job whose indexes are retried on their own, as changewatch exits', () => {
    const cron = byKind('CronJob', 'changewatch-nightly');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const { job, pod, container, env } = podOf(cron);
    expect(job.completionMode).toBe('Indexed');
    expect(job.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    expect(job.podReplacementPolicy).toBe('Failed');
    // Exit 2 (usage or configuration: pipeline/errors.ts EXIT.usage) fails the Job; disruptions are not failures.
    const rules = job.podFailurePolicy.rules as Json[];
    expect(rules).toContainEqual(
      expect.objectContaining({
        action: 'FailJob',
        onExitCodes: expect.objectContaining({ operator: 'In', values: [2] }),
      }),
    );
    expect(rules).toContainEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] });
    expect(pod.restartPolicy).toBe('Never');
    // The task count the pods deal the units over is the Job's.
    expect(Number(env.get('CHANGEWATCH_RUN_SHARD_COUNT')!.value)).toBe(job.completions);
    expect(container.args).toEqual(['run']);
  });

  it('runs as a non-root user with a read-only root and the S3 credentials from a Secret', () => {
    const { pod, container, env } = podOf(byKind('CronJob', 'changewatch-nightly'));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // The one writable place is the scratch folder, TMPDIR.
    const scratch = container.volumeMounts.find((m: Json) => m.name === 'scratch');
    expect(scratch.mountPath).toBe(env.get('TMPDIR')!.value);
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(env.get(name), name).toEqual({ name, valueFrom: { secretKeyRef: { name: 'changewatch-s3', key: name } } });
    }
    // No key in any manifest: no literal AWS variable, nothing shaped like an access key id.
    expect([...env.values()].filter((e) => e.name.startsWith('AWS_') && 'value' in e)).toEqual([]);
    expect(/AKIA[0-9A-Z]{16}/.test(JSON.stringify(manifests()))).toBe(false);
  });

  it("resolves to a valid changewatch config: the ConfigMap's file under the pods' variables", () => {
    const cron = byKind('CronJob', 'changewatch-nightly');
    const { job, pod, container, env } = podOf(cron);
    const literal = Object.fromEntries([...env.values()].filter((e) => 'value' in e).map((e) => [e.name, e.value]));
    const known = new Set([...ENV_FIELDS.map((field) => field.env), 'CHANGEWATCH_CONFIG']);
    expect(Object.keys(literal).filter((name) => name.startsWith('CHANGEWATCH_') && !known.has(name))).toEqual([]);
    // The config file is the ConfigMap's key, where the pods mount it.
    const configPath = literal['CHANGEWATCH_CONFIG'] as string;
    const mount = container.volumeMounts.find((m: Json) => configPath.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes.find((v: Json) => v.name === mount.name);
    const text = byKind('ConfigMap', volume.configMap.name).data[configPath.slice(mount.mountPath.length + 1)];
    // The image's own defaults (Dockerfile ENV) sit under the pod's variables.
    const image = { CHANGEWATCH_STORE_URL: 'file:///data/out' };
    const resolved = resolveConfig({ file: { path: configPath, text }, env: { ...image, ...literal } });
    expect(resolved.ok, JSON.stringify(resolved)).toBe(true);
    const { config } = resolved as Extract<typeof resolved, { ok: true }>;
    expect(config.store.url).toMatch(/^s3:\/\//);
    expect(config.run.shardCount).toBe(job.completions);
    expect(config.analysis.maxThreads).toBe(quantity(container.resources.requests.cpu));
    const aois = container.volumeMounts.find((m: Json) => m.mountPath === config.aoi.dir);
    expect(pod.volumes.find((v: Json) => v.name === aois.name).configMap.name).toBe('changewatch-aois');
  });

  it('ships the seed AOIs byte for byte and sizes the pods for the largest of them (the plan estimates)', async () => {
    const data = byKind('ConfigMap', 'changewatch-aois').data as Record<string, string>;
    const seeds = readdirSync(join(ROOT, 'aoi')).filter((name) => name.endsWith('.geojson'));
    expect(Object.keys(data).sort()).toEqual(seeds.sort());
    for (const name of seeds) expect(data[name], name).toBe(readFileSync(join(ROOT, 'aoi', name), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'cw-deploy-aois-'));
    for (const [name, text] of Object.entries(data)) writeFileSync(join(dir, name), text);
    const { aois, problems } = await loadAoiFiles(
      Object.keys(data).map((name) => join(dir, name)),
      { maxAreaKm2: 10_000 },
    );
    expect(problems).toEqual([]);
    // The plan's estimates (pipeline/run/run.plan.ts): memory 768 MiB + 1 byte per grid pixel at 10 m; scratch
    // about 3 bytes per grid pixel (README "Memory").
    const pixels = Math.max(
      ...aois.map((aoi) => aoiGrid(aoi.geometry, aoi.bbox, 10).width * aoiGrid(aoi.geometry, aoi.bbox, 10).height),
    );
    expect(pixels).toBeGreaterThan(1.6e8); // Kahuzi-Biega's 170 Mpx grid
    const { container, pod } = podOf(byKind('CronJob', 'changewatch-nightly'));
    const limitMiB = Number(container.env.find((e: Json) => e.name === 'CHANGEWATCH_ANALYSIS_MEMORY_LIMIT_MIB').value);
    expect(RUN_BASE_BYTES + pixels * RUN_BYTES_PER_PIXEL).toBeLessThanOrEqual(limitMiB * 2 ** 20);
    expect(limitMiB * 2 ** 20).toBeLessThanOrEqual(quantity(container.resources.limits.memory));
    expect(quantity(container.resources.requests.memory)).toBe(quantity(container.resources.limits.memory));
    const scratch = pod.volumes.find((v: Json) => v.name === 'scratch').emptyDir.sizeLimit;
    expect(3 * pixels).toBeLessThanOrEqual(quantity(scratch));
    expect(quantity(scratch)).toBeLessThanOrEqual(quantity(container.resources.requests['ephemeral-storage']));
  });
});
