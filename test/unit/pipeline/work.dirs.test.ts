import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeAbandonedWorkDirs } from '../../../pipeline/run/period.run.js';

describe('removeAbandonedWorkDirs', () => {
  it('removes the work folders of dead processes, keeps those of live ones and anything else', () => {
    const root = mkdtempSync(join(tmpdir(), 'cw-workdirs-'));
    // A pid that existed and is gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const names = {
      dead: `changewatch-${deadPid}-kibali-abc123`,
      mine: `changewatch-${process.pid}-kibali-def456`,
      parent: `changewatch-${process.ppid}-namoya-ghi789`,
      other: 'changewatch-notapid-x',
    };
    for (const name of Object.values(names)) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'forest-loss.tif.level0.part'), 'scratch');
    }
    expect(removeAbandonedWorkDirs(root)).toEqual([names.dead]);
    expect(existsSync(join(root, names.dead))).toBe(false);
    for (const name of [names.mine, names.parent, names.other]) expect(existsSync(join(root, name))).toBe(true);
  });
});
