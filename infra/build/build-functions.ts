/**
 * One esbuild bundle per Lambda function: `functions/<name>/handler.ts` →
 * `<outdir>/<name>/index.mjs` (+ `index.mjs.map`), which serverless.yml zips as that function's
 * artifact with handler `.build/lambda/<name>/index.handler`.
 *
 *   node --import tsx infra/build/build-functions.ts [outdir]
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

export const LAMBDA_FUNCTIONS = ['webhook', 'api', 'worker', 'sweep', 'subscriptions'] as const;
export type LambdaFunction = (typeof LAMBDA_FUNCTIONS)[number];

/** esbuild's target for the bundles: the Node.js major of serverless.yml's runtime. */
export const LAMBDA_NODE_TARGET = 'node24';

/**
 * Functions whose bundle does not link its source map. Node reads and parses a linked map when it
 * loads the bundle (NODE_OPTIONS=--enable-source-maps, serverless.yml): about a fifth of the
 * webhook's import CPU at every cold start, for stack traces its deliveries seldom print. The map
 * is still built and shipped beside the bundle; infra/build/decode-stack.ts decodes a trace with
 * it offline.
 */
export const UNLINKED_SOURCE_MAPS: readonly LambdaFunction[] = ['webhook'];

/**
 * Functions whose bundle takes AWS credentials from the environment only, as Lambda gives them
 * (infra/build/lambda-credentials.ts), instead of the SDK's whole default chain: a sixth of the
 * webhook bundle, parsed at every cold start.
 */
export const ENVIRONMENT_CREDENTIALS: readonly LambdaFunction[] = ['webhook'];

const LAMBDA_CREDENTIALS: Plugin = {
  name: 'lambda-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: join(dirname(fileURLToPath(import.meta.url)), 'lambda-credentials.ts') }));
  },
};

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_OUTDIR = join(ROOT, '.build', 'lambda');

// Bundled CommonJS dependencies call require(); an ES module has none, so give it one (the same
// banner as infra/bin/crossdock.mjs).
const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * zod's namespace export `z.locales` makes every bundle carry the error messages of all ~50
 * languages (about a fifth of the webhook bundle, parsed at each cold start). Our messages are
 * English only: resolve zod's locale index to one that holds `en` alone.
 */
const ENGLISH_ZOD_LOCALES: Plugin = {
  name: 'english-zod-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
      ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'english-zod-locales' }
      : undefined));
    build.onLoad({ filter: /.*/, namespace: 'english-zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * `import { z } from 'zod'` binds zod's namespace through a re-export, which esbuild cannot
 * tree-shake: every bundle carried all of zod classic (JSON Schema conversion both ways, the
 * ahead-of-time compiler, every check and format), about 100 KiB more than our schemas use,
 * parsed at every cold start. `import * as z from 'zod'` is the same object with the same members
 * (zod's root module re-exports all of classic), and esbuild keeps only the members read. Our own
 * sources keep the documented form; the build rewrites that one import line.
 */
export const ZOD_NAMESPACE_IMPORT = /^import \{ z \} from 'zod';$/m;
const SHAKABLE_ZOD: Plugin = {
  name: 'shakable-zod',
  setup(build) {
    build.onLoad({ filter: /\.tsx?$/ }, (args) => {
      if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!ZOD_NAMESPACE_IMPORT.test(source)) return undefined;
      return { contents: source.replace(ZOD_NAMESPACE_IMPORT, "import * as z from 'zod';"), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

export interface BuildOptions {
  outdir?: string;
  /** Receives each esbuild run's metafile (which input brings how many bytes), for analysis. */
  onMetafile?: (metafile: Metafile) => void;
  functions?: readonly LambdaFunction[];
  /** The checkout whose functions/ are built (measure-bundles.ts compares against an older one). */
  root?: string;
}

export interface BuiltFunction {
  name: LambdaFunction;
  file: string;
  bytes: number;
  sourceMapBytes: number;
}

export async function buildFunctions(options: BuildOptions = {}): Promise<BuiltFunction[]> {
  const outdir = resolve(options.outdir ?? DEFAULT_OUTDIR);
  const names = options.functions ?? LAMBDA_FUNCTIONS;
  // A stale file left in a function's directory would be zipped into its artifact.
  for (const name of names) rmSync(join(outdir, name), { recursive: true, force: true });
  // One build per set of plugins, each of several entry points: esbuild parses their shared
  // dependency graph once, and without code splitting each entry still gets a self-contained bundle.
  const groups = [false, true].map((environmentCredentials) => ({
    environmentCredentials,
    group: names.filter((name) => ENVIRONMENT_CREDENTIALS.includes(name) === environmentCredentials),
  })).filter(({ group }) => group.length > 0);
  await Promise.all(groups.map(({ environmentCredentials, group }) => build({
    entryPoints: Object.fromEntries(group.map((name) => [`${name}/index`, join(options.root ?? ROOT, 'functions', name, 'handler.ts')])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // The runtime's own AWS SDK is not pinned to our version: bundle it with everything else.
    packages: 'bundle',
    platform: 'node',
    // ES modules first (esbuild's default for node is `main`): the AWS SDK's dist-es tree-shakes
    // to the commands and protocol a client uses, where its dist-cjs brings every one of them in
    // and costs about twice the import time.
    mainFields: ['module', 'main'],
    format: 'esm',
    // The Lambda runtime in serverless.yml (nodejs24.x); test/infra/serverless/template.test.ts
    // keeps the two in step.
    target: LAMBDA_NODE_TARGET,
    banner: { js: REQUIRE_BANNER },
    minify: true,
    // Read at run time with NODE_OPTIONS=--enable-source-maps (serverless.yml), except where
    // UNLINKED_SOURCE_MAPS drops the link below.
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'error',
    metafile: options.onMetafile !== undefined,
    plugins: [ENGLISH_ZOD_LOCALES, SHAKABLE_ZOD, ...(environmentCredentials ? [LAMBDA_CREDENTIALS] : [])],
  }).then((result) => result.metafile && options.onMetafile?.(result.metafile))));
  for (const name of names.filter((n) => UNLINKED_SOURCE_MAPS.includes(n))) unlinkSourceMap(join(outdir, name, 'index.mjs'));
  return names.map((name) => {
    const file = join(outdir, name, 'index.mjs');
    return { name, file, bytes: statSync(file).size, sourceMapBytes: statSync(`${file}.map`).size };
  });
}

/** Drops the bundle's closing `//# sourceMappingURL=` comment, so Node never loads the map. */
function unlinkSourceMap(file: string): void {
  const text = readFileSync(file, 'utf8');
  const unlinked = text.replace(/\n\/\/# sourceMappingURL=[^\n]*\n?$/, '\n');
  if (unlinked === text) throw new Error(`${file} has no sourceMappingURL comment to drop`);
  writeFileSync(file, unlinked);
}

export function formatSizes(built: readonly BuiltFunction[]): string {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`.padStart(12);
  const width = Math.max('function'.length, ...built.map((b) => b.name.length));
  const rows = built.map((b) => `${b.name.padEnd(width)} ${kib(b.bytes)} ${kib(b.sourceMapBytes)}  ${relative(process.cwd(), b.file)}`);
  return [`${'function'.padEnd(width)} ${'bundle'.padStart(12)} ${'source map'.padStart(12)}`, ...rows].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const built = await buildFunctions(process.argv[2] === undefined ? {} : { outdir: process.argv[2] });
  process.stdout.write(`${formatSizes(built)}\n`);
}
