/**
 * The one direction of dependencies, read from the sources: every relative import of every .ts
 * file under shared/, functions/ and infra/ is an edge between folders (a file directly in a top
 * folder, like shared/errors.ts, is a unit of its own). No two folders may import each other,
 * directly or round a longer loop, and a few directions are forbidden outright.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const TOP = ['shared', 'functions', 'infra'];

interface Import { from: string; to: string; specifier: string }

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** `shared/oci/copy.ts` → `shared/oci`; `shared/errors.ts` → `shared/errors.ts`; providers count with webhooks. */
function unitOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file;
}

function importsOf(file: string): Import[] {
  const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  return info.importedFiles.map(({ fileName }) => ({
    from: file,
    specifier: fileName,
    to: fileName.startsWith('.') ? relative(root, resolve(root, dirname(file), fileName)) : fileName,
  }));
}

const files = TOP.flatMap(sourceFiles);
const imports = files.flatMap(importsOf);
const local = imports.filter((i) => i.specifier.startsWith('.'));

/** Folder-level edges, each with one file-level import that makes it (for the message). */
function folderEdges(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const i of local) {
    const a = unitOf(i.from);
    const b = unitOf(i.to);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, `${i.from} → ${i.to}`);
  }
  return edges;
}

/** Every cycle between folders, found as strongly connected components with more than one folder. */
function loops(edges: Map<string, Map<string, string>>): string[][] {
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return found;
}

describe('architecture', () => {
  it('reads the imports of every source file', () => {
    assert.ok(files.length > 100, `only ${files.length} files found`);
    assert.ok(local.some((i) => i.from === 'functions/webhook/app.ts'));
  });

  it('has no import loop between folders', () => {
    const edges = folderEdges();
    const described = loops(edges).map((component) => {
      const inside = component.flatMap((a) => component.filter((b) => edges.get(a)?.has(b)).map((b) => `  ${edges.get(a)!.get(b)}`));
      return `loop between ${component.join(', ')}:\n${inside.join('\n')}`;
    });
    assert.deepEqual(described, []);
  });

  it('keeps shared/oci free of AWS, hono and every other folder but errors and log', () => {
    const allowed = new Set(['shared/errors.ts', 'shared/log.ts']);
    const bad = imports
      .filter((i) => unitOf(i.from) === 'shared/oci')
      .filter((i) => i.specifier.startsWith('.')
        ? unitOf(i.to) !== 'shared/oci' && !allowed.has(i.to)
        : /^(@aws-sdk\/|@smithy\/|aws-lambda$|hono$|hono\/|@hono\/)/.test(i.specifier))
      .map((i) => `${i.from} imports ${i.specifier}`);
    assert.deepEqual(bad, []);
  });

  it('keeps shared from importing functions or infra, and functions from importing infra', () => {
    const forbidden: Array<[string, string]> = [['shared', 'functions'], ['shared', 'infra'], ['functions', 'infra']];
    const bad = local
      .filter((i) => forbidden.some(([a, b]) => i.from.startsWith(`${a}/`) && i.to.startsWith(`${b}/`)))
      .map((i) => `${i.from} imports ${i.to}`);
    assert.deepEqual(bad, []);
  });
});
