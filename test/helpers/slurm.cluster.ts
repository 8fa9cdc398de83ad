import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePortPair } from './ports.js';
import { randomBytes } from 'node:crypto';

/**
 * A real one-node Slurm cluster on 127.0.0.1 for a test file: Debian's munged, slurmctld and slurmd (installed by
 * test/setup.sh), each with its own files in a temporary folder and free ports, so it touches no system service
 * and several can run on one machine. Proctrack by /proc (no cgroups in containers), no task plugin, consumable
 * cores (`select/cons_tres`): a node with `CPUs=2` runs two one-core tasks at once. Root only (Slurm runs jobs as
 * the submitting user through its own daemons). Client commands find the cluster through `SLURM_CONF`.
 */

const run = promisify(execFile);

export interface SlurmCluster {
  dir: string;
  /** The environment for client commands (sbatch, squeue, scancel, scontrol): `SLURM_CONF`. */
  env: Record<string, string>;
  /** Runs a client command against the cluster; resolves to its stdout. */
  command(name: string, args: string[], extraEnv?: Record<string, string | undefined>): Promise<string>;
  stop(): Promise<void>;
}

export const SLURM_BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol'];

/** Why a Slurm cluster cannot start here, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the Slurm test cluster needs root (its daemons run jobs as the submitter)';
  const missing = SLURM_BINARIES.filter((name) => {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  return missing.length > 0 ? `missing ${missing.join(', ')}: run test/setup.sh (Debian slurm-wlm, munge)` : undefined;
}

function slurmConf(dir: string, port: number, cpus: number): string {
  return [
    'ClusterName=cwtest',
    'SlurmctldHost=localhost(127.0.0.1)',
    `SlurmctldPort=${port}`,
    `SlurmdPort=${port + 1}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `AuthInfo=socket=${join(dir, 'munge', 'munge.sock')}`,
    'CredType=cred/munge',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'MpiDefault=none',
    'SwitchType=switch/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'ReturnToService=2',
    // Requeued tasks run again (scontrol requeue); a killed task's processes get 5 s after SIGTERM.
    'JobRequeue=1',
    'KillWait=5',
    'SchedulerType=sched/backfill',
    // The scheduler looks every second, so a freed core is taken at once.
    'SchedulerParameters=sched_interval=1',
    'MinJobAge=600',
    `NodeName=cwnode NodeAddr=127.0.0.1 NodeHostname=${hostname()} CPUs=${cpus} RealMemory=4096 State=UNKNOWN`,
    'PartitionName=cw Nodes=cwnode Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
}

const pidIn = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined);

/** Starts munged, slurmctld and slurmd, and waits until the node is idle. */
export async function startSlurmCluster(options: { cpus?: number } = {}): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-slurm-'));
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o700 });
  const munge = join(dir, 'munge');
  writeFileSync(join(munge, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  chmodSync(dir, 0o755);
  const port = await freePortPair(40_000, 'slurm.cluster');
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, port, options.cpus ?? 2));
  const env = { SLURM_CONF: conf };
  const childEnv = { ...process.env, ...env };
  const command = async (name: string, args: string[], extraEnv: Record<string, string | undefined> = {}) =>
    (await run(name, args, { env: { ...childEnv, ...extraEnv }, maxBuffer: 1 << 24 })).stdout;
  // munged as root must be forced; it then serves the socket Slurm's auth/munge is told about (AuthInfo).
  await command('munged', [
    '--force',
    `--socket=${join(munge, 'munge.sock')}`,
    `--key-file=${join(munge, 'munge.key')}`,
    `--pid-file=${join(munge, 'munged.pid')}`,
    `--log-file=${join(munge, 'munged.log')}`,
    `--seed-file=${join(munge, 'munged.seed')}`,
  ]);
  // -i: ignore any saved state (a fresh cluster); both daemons fork once they are up.
  await command('slurmctld', ['-i']);
  await command('slurmd', ['-N', 'cwnode']);
  const cluster: SlurmCluster = { dir, env, command, stop: () => stopSlurmCluster(dir) };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await command('sinfo', ['-h', '-N', '-o', '%T']).catch(() => '');
    if (state.trim() === 'idle') return cluster;
    if (Date.now() > deadline) {
      await cluster.stop();
      throw new Error(`slurm.cluster: the node is "${state.trim()}" after 30 s (logs in ${dir}/log)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Stops the daemons this helper started (by their pid files) and removes the folder. */
async function stopSlurmCluster(dir: string): Promise<void> {
  for (const file of ['slurmd.pid', 'slurmctld.pid', join('munge', 'munged.pid')]) {
    const pid = pidIn(join(dir, file));
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    for (let waited = 0; waited < 5_000; waited += 100) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
