#!/usr/bin/env -S node --max-semi-space-size=1
// The CLI entry. `npm ci` is the only build step: the TypeScript sources are bundled with esbuild
// on first use and again whenever a source changes (tens of milliseconds), so every run starts
// from plain JavaScript instead of paying a TypeScript loader's start-up cost. esbuild is thus a
// runtime dependency: `npm ci --omit=dev` must still start.
// --max-semi-space-size=1: a small young generation is collected often, so the 64 KiB chunks a
// blob streams through are freed promptly and memory stays flat whatever the blob size.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// The AWS SDK warns on every start that its releases after January 2027 need Node 22; the warning
// names itself only in its text, so no --disable-warning flag can select it.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (typeof warning === 'string' && warning.startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};
const entry = join(root, 'infra', 'cli', 'main.ts');
const buildRoot = join(root, '.build');
/** Builds nobody has started from for this long are removed; a start loads its chunks well before. */
const STALE_BUILD_MS = 10 * 60 * 1000;

/** Every input of the bundle: the sources' paths, sizes and times, and the lockfile's. */
function sourceKey() {
  const hash = createHash('sha256');
  const visit = (dir) => {
    for (const item of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, item.name);
      if (item.isDirectory()) visit(path);
      else if (item.name.endsWith('.ts')) hash.update(fingerprint(path));
    }
  };
  for (const dir of ['shared', 'infra', 'functions']) visit(join(root, dir));
  hash.update(fingerprint(join(root, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

function fingerprint(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  return `${relative(root, path)}\0${stat?.size ?? -1}\0${stat?.mtimeMs ?? -1}\n`;
}

// Each state of the sources gets its own directory, written once and never replaced: concurrent
// starts either find it complete or build their own copy beside it and rename it into place, and
// a process that is loading one bundle never sees it removed or half-written by another.
const outdir = join(buildRoot, `cli-${sourceKey()}`);
const bundle = join(outdir, 'main.mjs');
if (existsSync(bundle)) {
  // Marks the build as in use, so that another start's clean-up keeps it.
  utimesSync(outdir, new Date(), new Date());
} else {
  const { build } = await import('esbuild');
  const temporary = `${outdir}.${process.pid}.tmp`;
  try {
    await build({
      entryPoints: { main: entry },
      outdir: temporary,
      outExtension: { '.js': '.mjs' },
      // Modules loaded with import() (YAML, only for YAML configs) stay out of the start-up path.
      splitting: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Dependencies are bundled too: one file parses faster than hundreds of modules resolve. The
      // embedded servers stay in node_modules: dynalite loads a native LevelDB addon by path.
      external: ['dynalite', 'local-aws-sqs'],
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      sourcemap: 'linked',
      minify: true,
      logLevel: 'error',
    });
    try {
      renameSync(temporary, outdir);
    } catch (error) {
      // Another start renamed the same sources' build into place first: theirs is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  removeStaleBuilds();
}

/** Earlier builds and the temporaries of interrupted ones (and the single `cli` of older versions). */
function removeStaleBuilds() {
  const now = Date.now();
  for (const name of readdirSync(buildRoot)) {
    const path = join(buildRoot, name);
    if (!name.startsWith('cli') || path === outdir) continue;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat && now - stat.mtimeMs > STALE_BUILD_MS) rmSync(path, { recursive: true, force: true });
  }
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
