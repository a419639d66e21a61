#!/usr/bin/env -S node --max-semi-space-size=1
// The CLI entry. `npm ci` is the only build step: the TypeScript sources are bundled with esbuild
// on first use and again whenever a source is newer than the bundle (tens of milliseconds), so
// every run starts from plain JavaScript instead of paying a TypeScript loader's start-up cost.
// --max-semi-space-size=1: a small young generation is collected often, so the 64 KiB chunks a
// blob streams through are freed promptly and memory stays flat whatever the blob size.
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
const outdir = join(root, '.build', 'cli');
const bundle = join(outdir, 'main.mjs');

function newestSource(dir, newest = 0) {
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) newest = newestSource(path, newest);
    else if (item.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleMtime() {
  try {
    return statSync(bundle).mtimeMs;
  } catch {
    return -1;
  }
}

const sources = Math.max(...['shared', 'infra', 'functions'].map((dir) => newestSource(join(root, dir))), statSync(join(root, 'package-lock.json'), { throwIfNoEntry: false })?.mtimeMs ?? 0);
if (bundleMtime() < sources) {
  const { build } = await import('esbuild');
  // Build beside the target and rename: concurrent runs never load a half-written bundle.
  const temporary = `${outdir}.${process.pid}.tmp`;
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
  rmSync(outdir, { recursive: true, force: true });
  renameSync(temporary, outdir);
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
