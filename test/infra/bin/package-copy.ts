/**
 * A copy of the package in a temporary directory, for tests that run `infra/bin/crossdock.mjs`
 * the way a user's checkout would, without touching this checkout's sources or `.build`.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What the CLI and `npm start` are built from: everything else in the repository is for development. */
const RUNTIME_PATHS = ['package.json', 'package-lock.json', 'shared', 'infra', 'functions'];

export interface PackageCopy {
  dir: string;
  remove(): Promise<void>;
}

/**
 * `node_modules: 'linked'` points at this checkout's full install (fast, dev dependencies
 * included); `'production'` runs `npm ci --omit=dev` from the local npm cache, as a production
 * install would, so a runtime import of a dev dependency fails there.
 */
export async function copyPackage(nodeModules: 'linked' | 'production'): Promise<PackageCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-package-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    for (const path of RUNTIME_PATHS) await cp(join(ROOT, path), join(dir, path), { recursive: true, preserveTimestamps: true });
    if (nodeModules === 'linked') await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    else await run('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier'], dir);
  } catch (error) {
    await remove();
    throw error;
  }
  return { dir, remove };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], cwd: string, env: Record<string, string | undefined> = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      const code = error ? Number(error.code) : 0;
      if (command === 'npm' && code !== 0) return reject(new Error(`npm ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      resolve({ code, stdout, stderr });
    });
  });
}
