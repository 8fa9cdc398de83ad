import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, ROOT } from '../helpers/paths.js';
import { s3ClientWithBucket } from '../helpers/s3.js';

/**
 * The built CLI against the real S3 server (Ceph radosgw on loopback) in child processes, with the environment a
 * user's shell would give it: what it says when credentials are missing, and that its stderr is JSON log lines only.
 */
const BUCKET = `cw-cli-${Date.now()}`;

beforeAll(async () => {
  await s3ClientWithBucket(BUCKET);
});

/**
 * This process's environment without CHANGEWATCH_* or AWS_* variables and with a HOME holding no ~/.aws, IMDS
 * switched off (nothing may leave loopback), the store on the test server, plus `extra`.
 */
function shellEnv(extra: Record<string, string> = {}): Record<string, string> {
  const kept = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && !entry[0].startsWith('CHANGEWATCH_') && !entry[0].startsWith('AWS_'),
  );
  const s3 = inject('s3');
  return {
    ...Object.fromEntries(kept),
    HOME: mkdtempSync(join(tmpdir(), 'cw-home-')),
    AWS_EC2_METADATA_DISABLED: 'true',
    CHANGEWATCH_STORE_URL: `s3://${BUCKET}/x`,
    CHANGEWATCH_STORE_S3_ENDPOINT: s3.endpoint,
    CHANGEWATCH_STORE_S3_FORCE_PATH_STYLE: 'true',
    ...extra,
  };
}

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('an S3 store without credentials', () => {
  it('says credentials are missing and where they are looked for, not that the store is unreachable', async () => {
    const where =
      'no AWS credentials (CredentialsProviderError): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE naming a profile in ~/.aws/credentials or ~/.aws/config, or run where an instance or container role provides them';
    const status = await cli(['status', '--aoi', 'bukavu-demo'], shellEnv());
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(`s3://${BUCKET}/x/bukavu-demo/state.json: cannot read: ${where}\n`);
    expect(status.stderr).not.toContain('unreachable');
    // A run stops at the first AOI (a configuration problem no retry fixes), with the same message.
    const run = await cli(['run', '--dry-run', '--aoi', 'bukavu-demo', '--aoi', 'namoya'], shellEnv());
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^bukavu-demo +failed .*cannot read: no AWS credentials \(CredentialsProviderError\)/m);
    expect(run.stdout).toMatch(/^namoya +failed .*not started: the run stopped on a configuration error/m);
    // With the test server's keys in the environment, the same command works.
    const s3 = inject('s3');
    const keyed = await cli(
      ['status', '--aoi', 'bukavu-demo'],
      shellEnv({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }),
    );
    expect(keyed.code).toBe(0);
    expect(keyed.stdout).toMatch(/^bukavu-demo +never /m);
  });
});
