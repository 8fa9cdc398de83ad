import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { SHARED_DATA } from './helpers/paths.js';
import { freePortPair } from './helpers/ports.js';

/**
 * Starts a real S3-compatible server (Ceph radosgw, from ../shared/tools/s3) on 127.0.0.1 for the whole test run
 * and stops it afterwards. Ceph, not Swift or s3rver: it verifies SigV4, serves suffix ranges correctly and
 * enforces If-None-Match (leases need it), as measured in ../shared/tools/s3/README.md.
 */
export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestServer;
  }
}

const run = promisify(execFile);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const script = join(SHARED_DATA, '..', 'tools', 's3', 'start-ceph-rgw.sh');
  const started = Date.now();
  // A start can fail when another cluster on the machine holds a port the script chose: try a fresh port pair.
  let stdout = '';
  for (let attempt = 1; ; attempt++) {
    const port = await freePortPair(20_000, 'global.s3');
    try {
      ({ stdout } = await run('bash', [script, String(port)], { maxBuffer: 1 << 24, timeout: 300_000 }));
      break;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      if (attempt >= 3) throw new Error(`global.s3: Ceph radosgw did not start (${script}):\n${stderr.slice(-2000)}`);
      console.warn(`global.s3: start ${attempt} on port ${port} failed, trying another port`);
    }
  }
  const env = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => /^(\w+)="?(.*?)"?$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
  console.log(`global.s3: Ceph radosgw on ${env.S3_ENDPOINT} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('s3', {
    endpoint: env.S3_ENDPOINT!,
    accessKeyId: env.AWS_ACCESS_KEY_ID!,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
    region: env.AWS_REGION ?? 'us-east-1',
  });
  return async () => {
    await run('bash', [join(env.S3_BASE!, 'stop.sh'), '--purge']).catch(() => undefined);
  };
}
