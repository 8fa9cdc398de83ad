import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
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

/** The built CLI in a child process; SIGTERM after `stopAfterMs` when given (the scheduler runs until then). */
function cli(
  args: string[],
  env: Record<string, string>,
  stopAfterMs?: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (stopAfterMs !== undefined) setTimeout(() => child.kill('SIGTERM'), stopAfterMs);
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

/** The stderr lines that are not JSON (pino's log lines are; Node's and libraries' plain-text warnings are not). */
function notJson(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
}

const events = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; warning?: { message: string } });

describe('stderr carries JSON log lines only', () => {
  const keys = () => ({
    AWS_ACCESS_KEY_ID: inject('s3').accessKeyId,
    AWS_SECRET_ACCESS_KEY: inject('s3').secretAccessKey,
  });

  it('status on an S3 store: the AWS SDK and node-cron write nothing of their own', async () => {
    const status = await cli(['status'], shellEnv(keys()));
    expect(status.code).toBe(0);
    expect(notJson(status.stderr)).toEqual([]);
    // On Node < 22 the AWS SDK warns that its next versions need Node 22: that notice is a log event now.
    if (Number(process.versions.node.split('.')[0]) < 22) {
      const warning = events(status.stderr).find((event) => event.msg === 'Process:Warning:Emitted');
      expect(warning?.warning?.message).toMatch(/^NodeVersionSupportWarning: The AWS SDK for JavaScript/);
    }
  });

  it('the scheduler, its runs overlapping a STAC API that never answers: no [WARN] text from node-cron', async () => {
    // A STAC API that accepts connections and never answers: each run waits out its timeouts, past the next second.
    const sockets: Socket[] = [];
    const stac = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => stac.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'cw-sched-'));
    mkdirSync(join(dir, 'aoi'));
    copyFileSync(join(ROOT, 'aoi', 'bukavu-demo.geojson'), join(dir, 'aoi', 'bukavu-demo.geojson'));
    try {
      const env = shellEnv({
        ...keys(),
        CHANGEWATCH_STAC_URL: `http://127.0.0.1:${(stac.address() as AddressInfo).port}`,
        CHANGEWATCH_STAC_TIMEOUT_MS: '1500',
        CHANGEWATCH_AOI_DIR: join(dir, 'aoi'),
        CHANGEWATCH_SCHEDULE_CRON: '* * * * * *',
        CHANGEWATCH_SCHEDULE_HEARTBEAT_FILE: join(dir, 'heartbeat.json'),
      });
      const schedule = await cli(['schedule'], env, 5_000);
      expect(schedule.code).toBe(0);
      expect(notJson(schedule.stderr)).toEqual([]);
      const names = events(schedule.stderr).map((event) => event.msg);
      expect(names).toContain('Schedule:Run:Overlap');
      expect(names).toContain('Schedule:Stop');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => stac.close(resolve));
    }
  }, 30_000);
});
