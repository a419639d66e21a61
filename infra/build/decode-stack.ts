/**
 * Turns a stack trace printed by a minified Lambda bundle back into TypeScript positions, offline,
 * from the source map shipped beside the bundle. The webhook's bundle does not link its map (Node
 * would read and parse it at every cold start); the other functions link theirs and Node decodes
 * their traces itself (NODE_OPTIONS=--enable-source-maps).
 *
 *   node --import tsx infra/build/decode-stack.ts .build/lambda/webhook/index.mjs.map < trace.txt
 *
 * Each frame `…index.mjs:LINE:COLUMN` becomes `at NAME (SOURCE:LINE:COLUMN)`; other lines pass
 * through unchanged.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// `at name (file:///…/index.mjs:1:2345)`, `at file:///…/index.mjs:1:2345`, `at async name (…)`.
const FRAME = /^(\s*at\s+(?:async\s+)?)(?:(\S.*?)\s+\()?((?:file:\/\/)?[^\s()]*index\.mjs):(\d+):(\d+)\)?\s*$/;

/**
 * A minified frame names the minified function it is in; the map names, at each call site, the
 * function called there. So a frame's own name is the one mapped at the frame below it (its
 * caller's call site); the outermost frame keeps its printed name. Sources are given relative to
 * `cwd`, resolved from the map's directory.
 */
export function decodeStack(trace: string, mapFile: string, cwd = process.cwd()): string {
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
  const lines = trace.split('\n');
  const decoded = lines.map((line) => {
    const frame = FRAME.exec(line);
    if (!frame) return undefined;
    // Stack traces count lines and columns from 1; source maps from 0.
    const entry = map.findEntry(Number(frame[4]) - 1, Number(frame[5]) - 1);
    if (!('originalSource' in entry)) return undefined;
    const source = relative(cwd, resolve(dirname(mapFile), entry.originalSource));
    return { at: frame[1]!, printedName: frame[2], calls: 'name' in entry && typeof entry.name === 'string' ? entry.name : undefined, where: `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}` };
  });
  return lines.map((line, i) => {
    const frame = decoded[i];
    if (frame === undefined) return line;
    const name = decoded[i + 1]?.calls ?? frame.printedName;
    return `${frame.at}${name ? `${name} ` : ''}(${frame.where})`;
  }).join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const mapPath = process.argv[2];
  if (mapPath === undefined) {
    process.stderr.write('usage: decode-stack.ts BUNDLE.mjs.map < trace.txt\n');
    process.exit(2);
  }
  try {
    process.stdout.write(decodeStack(readFileSync(0, 'utf8'), mapPath));
  } catch (error) {
    process.stderr.write(`decode-stack: cannot decode with ${mapPath}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
