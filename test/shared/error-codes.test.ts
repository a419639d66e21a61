import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { ERROR_CODES, isErrorCode } from '../../shared/error-codes.ts';

// The catalogue is the one list of codes: the type system keeps `new CrossdockError(code)` and
// `errorResponse(c, code)` to it; this suite covers what the compiler cannot see (codes written
// into records or raw JSON) and the README's table for users who script against the codes.

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** `code: 'X'`, `Error('X'`, `super('X'`, `errorResponse(c, 'X'`: the places a code is given out. */
const CODE_IN_SOURCE = /(?:\bcode:\s*|Error\(\s*|\bsuper\(\s*|errorResponse\(\s*\w+,\s*)['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)['"`]/g;

/** Codes of the distribution spec's error bodies and of zod issues, which are not ours. */
const FOREIGN = new Set(['BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'DENIED', 'UNSUPPORTED', 'UNKNOWN']);

function readmeTable(): Map<string, string[]> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Error codes\n')[1]?.split('\n## ')[0];
  assert.ok(section, 'README.md has a "## Error codes" section');
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = /^\| `([A-Z0-9_]+)` \|(.*)\|$/.exec(line);
    if (!cells) continue;
    assert.ok(!rows.has(cells[1]!), `${cells[1]} is listed twice in the README`);
    rows.set(cells[1]!, cells[2]!.split('|').map((c) => c.trim()));
  }
  return rows;
}

describe('the error catalogue', () => {
  test('every code given out anywhere in the source is in the catalogue', () => {
    const missing: string[] = [];
    let found = 0;
    for (const file of ['shared', 'functions', 'infra'].flatMap(sourceFiles)) {
      for (const match of readFileSync(join(ROOT, file), 'utf8').matchAll(CODE_IN_SOURCE)) {
        found++;
        const code = match[1]!;
        if (!isErrorCode(code) && !FOREIGN.has(code)) missing.push(`${file}: ${code}`);
      }
    }
    assert.ok(found > 50, `the scan found ${found} codes: it no longer recognises how codes are written`);
    assert.deepEqual(missing, [], 'add each to shared/error-codes.ts and to the README table');
  });

  test('the scan recognises each way a code is written', () => {
    const samples = [`new CrossdockError('A_B', 'x')`, `new InvalidInputError("A_B", [])`, `super('A_B', message)`, `{ code: 'A_B', message }`, `errorResponse(c, 'A_B', 'x')`];
    for (const sample of samples) assert.deepEqual([...sample.matchAll(CODE_IN_SOURCE)].map((m) => m[1]), ['A_B'], sample);
  });

  test('codes read NOUN_PROBLEM: none starts with the problem', () => {
    const problemFirst = Object.keys(ERROR_CODES).filter((code) => /^(INVALID|UNKNOWN|MISSING|BAD)_/.test(code));
    assert.deepEqual(problemFirst, []);
  });

  test('the README lists exactly the catalogue, with the same category, status, retryability and meaning', () => {
    const rows = readmeTable();
    const expected = (code: keyof typeof ERROR_CODES) => {
      const e = ERROR_CODES[code];
      return `| \`${code}\` | ${e.category} | ${e.status} | ${e.retryable ? 'yes' : 'no'} | ${e.description} |`;
    };
    const missing = Object.keys(ERROR_CODES).filter((code) => !rows.has(code)).map((code) => expected(code as keyof typeof ERROR_CODES));
    assert.deepEqual(missing, [], 'rows to add to the README table');
    const unknown = [...rows.keys()].filter((code) => !isErrorCode(code));
    assert.deepEqual(unknown, [], 'README rows for codes the catalogue does not have');
    for (const [code, cells] of rows) {
      if (!isErrorCode(code)) continue;
      const e = ERROR_CODES[code];
      assert.deepEqual(cells, [e.category, String(e.status), e.retryable ? 'yes' : 'no', e.description], `README row for ${code}; expected ${expected(code)}`);
    }
  });

  test('statuses follow the categories: 4xx for the caller\'s part, 5xx for ours and the registries\'', () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      const callerSide = ['input', 'auth', 'not-found', 'conflict', 'too-large'].includes(e.category);
      assert.equal(e.status < 500, callerSide || code === 'REGISTRY_NOT_ALLOWED', `${code}: ${e.category} ${e.status}`);
      if (e.category === 'deadline' || e.category === 'transient') assert.ok(e.retryable && e.status >= 503, `${code} is retryable and 503/504`);
    }
  });
});
