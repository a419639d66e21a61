/**
 * One runtime per data directory: the embedded DynamoDB's files are not safe to share. The pid
 * file also tells operators (and tests) which process to signal.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../shared/errors.ts';

export async function acquirePidLock(dataDir: string): Promise<{ file: string; release(): Promise<void> }> {
  const file = join(dataDir, 'crossdock.pid');
  const existing = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(existing) && existing > 0 && existing !== process.pid && isAlive(existing)) {
    throw new InvalidInputError('DATA_DIR_IN_USE', `another crossdock (pid ${existing}) is serving ${dataDir}; stop it or choose another --data-dir`);
  }
  await writeFile(file, `${process.pid}\n`);
  return { file, release: () => rm(file, { force: true }) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
