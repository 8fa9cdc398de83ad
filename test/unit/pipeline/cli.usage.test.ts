import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/cli.js';
import type { AoiState } from '../../../pipeline/publish/aoi.state.js';
import { ROOT } from '../../helpers/paths.js';

/** The CLI in this process with its own streams: exit code, stdout and stderr lines. */
async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--log-level', 'silent', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
    cwd: ROOT,
  });
  return { code, out, err };
}

describe('changewatch scenes: dates', () => {
  const scenes = (from: string, to: string) => cli(['scenes', '--aoi', 'bukavu-demo', '--from', from, '--to', to]);

  it('names the flag and the value the user typed, not the joined interval', async () => {
    const slashes = await scenes('2021/06/01', '2021-06-30');
    expect(slashes.code).toBe(2);
    expect(slashes.err).toEqual(['--from 2021/06/01: not a date: write YYYY-MM-DD (UTC), e.g. 2021-06-01']);
    const to = await scenes('2021-06-01', '30.06.2021');
    expect(to.err).toEqual(['--to 30.06.2021: not a date: write YYYY-MM-DD (UTC), e.g. 2021-06-30']);
    const february = await scenes('2021-02-01', '2021-02-30');
    expect(february.err).toEqual(['--to 2021-02-30: not a calendar date: give a day that exists']);
  });

  it('says which flag to change when the period ends before it starts', async () => {
    const reversed = await scenes('2021-07-31', '2021-06-01');
    expect(reversed.code).toBe(2);
    expect(reversed.err).toEqual(['--to 2021-06-01: before --from 2021-07-31: give a last day on or after the first']);
  });
});

describe('changewatch reports pull: a run without a report', () => {
  const headline = { monitoring: '2021-08-15/2021-09-30', lossHa: 1, lossHighHa: 1, clearMonitoring: 0.5 };
  const record = (runId: string, outcome: 'ok' | 'nothing-new' | 'failed', reason?: string) => ({
    runId,
    startedAt: '2021-10-01T02:00:00.000Z',
    endedAt: '2021-10-01T02:01:00.000Z',
    outcome,
    ...(reason ? { reason } : {}),
  });
  /** A file store holding `states` as the AOIs' state.json. */
  function storeWith(states: AoiState[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'cw-pull-'));
    for (const state of states) {
      mkdirSync(join(dir, state.aoi), { recursive: true });
      writeFileSync(join(dir, state.aoi, 'state.json'), JSON.stringify(state));
    }
    return `file://${dir}`;
  }
  const item = 'bukavu-demo-2021-08-15-2021-09-30';
  const store = storeWith([
    {
      stateVersion: 1,
      aoi: 'bukavu-demo',
      items: {},
      reports: ['r1', 'r2'].map((runId) => ({ runId, itemId: item, digest: 'd', key: `k/${runId}.html`, headline })),
      history: [
        record('r1', 'ok'),
        record('r2', 'ok'),
        record('r3', 'nothing-new', `item ${item} is published from these scenes and parameters`),
      ],
    },
    { stateVersion: 1, aoi: 'kibali', items: {}, history: [record('k1', 'failed', 'the STAC API is down')] },
  ]);
  const pull = (aoi: string, run: string) =>
    cli(['--store', store, 'reports', 'pull', '--aoi', aoi, '--run', run, '--dest', join(tmpdir(), 'cw-pull-dest')]);

  it('says what the run did and lists the runs that have a report, instead of sending the user to status', async () => {
    const result = await pull('bukavu-demo', 'r3');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      `--run r3: run r3 published no report for bukavu-demo (it ended nothing-new: item ${item} is published from these scenes and parameters): pull --run latest or one of the runs with a report, newest first: r2 (${item}), r1 (${item})`,
    ]);
    expect(result.err.join('\n')).not.toContain('status');
    expect((await pull('bukavu-demo', 'r9')).err[0]).toMatch(
      /^--run r9: no run with that id for bukavu-demo: pull --run latest or one of the runs with a report, newest first: r2 /,
    );
  });

  it('says how to get a first report, or that the store has no run of the AOI', async () => {
    expect((await pull('kibali', 'latest')).err).toEqual([
      '--aoi kibali: no run has published a report yet (the last, k1, ended failed: the STAC API is down): run "changewatch run --aoi kibali" to publish one',
    ]);
    expect((await pull('namoya', 'latest')).err).toEqual([
      `--aoi namoya: no run of this AOI in ${store}: check the AOI id ("changewatch aoi list") and --store`,
    ]);
  });
});
