import assert from 'node:assert/strict';
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { copyPackage, run, type PackageCopy } from './package-copy.ts';

const STARTS = 4;
const ROUNDS = 2;
let pkg: PackageCopy;

before(async () => {
  pkg = await copyPackage('linked');
});

after(() => pkg?.remove());

function startAll(): Promise<{ code: number; stdout: string; stderr: string }[]> {
  return Promise.all(Array.from({ length: STARTS }, () => run(process.execPath, ['infra/bin/crossdock.mjs', 'help'], pkg.dir)));
}

test(`${STARTS} CLI starts at once after a source change all succeed and leave no build directory behind`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    // Each round is "after a source change": the first has no bundle at all, the next ones follow
    // a newer shared/log.ts, as `touch shared/log.ts` did in the report.
    if (round > 0) {
      const later = new Date(Date.now() + round * 1000);
      await utimes(join(pkg.dir, 'shared', 'log.ts'), later, later);
    }

    const runs = await startAll();

    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 0, `round ${round}, start ${i}: ${r.stderr}`);
      assert.match(r.stdout, /^usage: crossdock <command>/, `round ${round}, start ${i}`);
      assert.equal(r.stderr, '', `round ${round}, start ${i}`);
    }
    const left = (await readdir(join(pkg.dir, '.build'))).filter((name) => name.endsWith('.tmp'));
    assert.deepEqual(left, [], `round ${round}: temporary build directories left behind`);
  }
});
