import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../../shared/errors.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAuthFile, parseSyncConfig } from '../../../shared/sync/config.ts';

const env = { REG_USER: 'alice', REG_PASS: 's3cret' };
const parse = (input: unknown, defaults: { registry?: string; namespace?: string } = {}) => parseSyncConfig(input, 'config.yaml', { env, ...defaults });

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `expected InvalidInputError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the config to be rejected');
}

describe('image-syncer config', () => {
  test('a source without tags selects all tags and keeps Docker Hub defaults', () => {
    const config = parse({ images: { 'alpine': 'registry.example:5000/mirror/alpine' } });
    const rule = config.rules[0]!;
    assert.deepEqual(rule.source, { registry: 'docker.io', repository: 'library/alpine' });
    assert.deepEqual(rule.selector, { kind: 'all' });
    assert.deepEqual(rule.destinations, [{ registry: 'registry.example:5000', repository: 'mirror/alpine' }]);
  });

  test('comma-separated tags, a /regex/ filter and a digest are told apart (ports included)', () => {
    const config = parse({
      images: {
        '127.0.0.1:5000/app/web:v1,v2,v2': 'dst.example/web',
        '127.0.0.1:5000/app/api:/^v1\\.[0-9]+$/': 'dst.example/api',
        'quay.io/org/tool@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef': 'dst.example/tool:pinned',
      },
    });
    // Repeats are kept: tags pair with destination tags by position; the plan copies each pair once.
    assert.deepEqual(config.rules[0]!.selector, { kind: 'tags', tags: ['v1', 'v2', 'v2'] });
    const regex = config.rules[1]!.selector;
    assert.equal(regex.kind, 'regex');
    assert.equal(regex.kind === 'regex' && regex.pattern.test('v1.12'), true);
    assert.equal(regex.kind === 'regex' && regex.pattern.test('v2.0'), false);
    assert.equal(config.rules[1]!.source.repository, 'app/api');
    assert.equal(config.rules[2]!.selector.kind, 'digest');
    assert.deepEqual(config.rules[2]!.destinations[0], { registry: 'dst.example', repository: 'tool', tags: ['pinned'] });
  });

  test('an unanchored /regex/ matches anywhere in the tag, as image-syncer (Go MatchString) does', () => {
    const regex = parse({ images: { 'h.example/a/b:/rc/': 'd.example/b' } }).rules[0]!.selector;
    assert.ok(regex.kind === 'regex' && regex.pattern.test('v1.0-rc1'));
  });

  test('a list of destinations fans out; an empty destination takes --registry/--namespace', () => {
    const config = parse({ images: { 'h.example/ns/app': ['d1.example/x/app', ''] } }, { registry: 'def.example', namespace: 'mirror' });
    assert.deepEqual(config.rules[0]!.destinations, [
      { registry: 'd1.example', repository: 'x/app' },
      { registry: 'def.example', repository: 'mirror/app' },
    ]);
  });

  test('credentials written as ${VAR} or $VAR come from the environment', () => {
    const config = parse({ auth: { 'h.example': { username: '${REG_USER}', password: '$REG_PASS', insecure: true } }, images: { 'h.example/a/b': 'd.example/b' } });
    assert.deepEqual(config.auth['h.example'], { username: 'alice', password: 's3cret', insecure: true });
  });

  test('every problem in a file is reported at once, each naming its key', () => {
    const problems = problemsOf(() =>
      parse({
        auth: { 'h.example': { username: '${MISSING_VAR}' } },
        images: {
          'h.example/a/b:/(unclosed/': 'd.example/b',
          'h.example/a/c:v1,v2': 'd.example/c:one',
          'h.example/a/D': 'd.example/d',
          'h.example/a/e': '',
        },
      }),
    );
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems.join('\n'), /MISSING_VAR is not set/);
    assert.match(problems.join('\n'), /images\["h.example\/a\/b:\/\(unclosed\/"\]: invalid tag pattern/);
    assert.match(problems.join('\n'), /names 1 tag for the source's 2: tags are renamed by position/);
    assert.match(problems.join('\n'), /invalid repository path component "D"/);
    assert.match(problems.join('\n'), /empty destination needs both --registry and --namespace/);
  });

  test('unknown fields are named rather than ignored', () => {
    const problems = problemsOf(() => parse({ images: { 'h.example/a/b': 'd.example/b' }, imagez: {} }));
    assert.match(problems[0]!, /imagez/);
  });

  test('a catastrophic pattern compiles and matches in linear time', () => {
    const regex = parse({ images: { 'h.example/a/b:/(a+)+$/': 'd.example/b' } }).rules[0]!.selector;
    const started = process.hrtime.bigint();
    assert.equal(regex.kind === 'regex' && regex.pattern.test('a'.repeat(5000) + '!'), false);
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'matching took over a second');
  });

  const digest = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  test('an empty destination list is refused, naming the entry', () => {
    const problems = problemsOf(() => parse({ images: { 'h.example/a/b': [], 'h.example/a/c': 'd.example/c' } }));
    assert.deepEqual(problems, ['config.yaml: images["h.example/a/b"]: no destination (an empty list copies nothing; image-syncer refuses it too)']);
  });

  test('SRC@DIGEST: DST@DIGEST copies the digest; another digest at the destination is refused', () => {
    const config = parse({ images: { [`h.example/a/b@${digest}`]: `d.example/b@${digest}` } });
    assert.deepEqual(config.rules[0]!.selector, { kind: 'digest', digest });
    assert.deepEqual(config.rules[0]!.destinations, [{ registry: 'd.example', repository: 'b' }]);
    const other = digest.replace('0123', 'ffff');
    assert.match(problemsOf(() => parse({ images: { [`h.example/a/b@${digest}`]: `d.example/b@${other}` } }))[0]!, /must be the source's own digest/);
  });

  test('SRC:tag@DIGEST selects the digest (the tag is checked, not used), as image-syncer reads it', () => {
    const config = parse({ images: { [`h.example/a/b:v1@${digest}`]: 'd.example/b' } });
    assert.deepEqual(config.rules[0]!.source, { registry: 'h.example', repository: 'a/b' });
    assert.deepEqual(config.rules[0]!.selector, { kind: 'digest', digest });
  });

  test('SRC:a,b: DST:x,y renames tags by position; a count that differs is refused', () => {
    const config = parse({ images: { 'h.example/a/b:a,b': 'd.example/b:x,y' } });
    assert.deepEqual(config.rules[0]!.selector, { kind: 'tags', tags: ['a', 'b'] });
    assert.deepEqual(config.rules[0]!.destinations, [{ registry: 'd.example', repository: 'b', tags: ['x', 'y'] }]);
    assert.match(problemsOf(() => parse({ images: { 'h.example/a/b:a,b': 'd.example/b:x,y,z' } }))[0]!, /names 3 tags for the source's 2/);
  });

  test('docker:// (skopeo\'s transport prefix) is dropped from sources and destinations', () => {
    const config = parse({ images: { 'docker://h.example/a/b:v1': 'docker://d.example/b' } });
    assert.deepEqual(config.rules[0]!.source, { registry: 'h.example', repository: 'a/b' });
    assert.deepEqual(config.rules[0]!.destinations, [{ registry: 'd.example', repository: 'b' }]);
  });

  test('the same destination twice in one list is one destination', () => {
    const config = parse({ images: { 'h.example/a/b': ['d.example/b', ' d.example/b', 'docker://d.example/b', 'd.example/c'] } });
    assert.deepEqual(config.rules[0]!.destinations, [{ registry: 'd.example', repository: 'b' }, { registry: 'd.example', repository: 'c' }]);
  });

  test('${VAR} and $VAR expand inside credentials and destinations; an unset one is named', () => {
    const withEnv = (extra: Record<string, string>) => (input: unknown) => parseSyncConfig(input, 'config.yaml', { env: { ...env, ...extra } });
    const config = withEnv({ SUFFIX: 'blue', DST: 'd.example:5000' })({
      auth: { 'h.example': { username: 'lab-${SUFFIX}', password: 'pre-$REG_PASS-post' } },
      images: { 'h.example/a/b': ['${DST}/mirror/b-${SUFFIX}', '$DST/plain/b'] },
    });
    assert.deepEqual(config.auth['h.example'], { username: 'lab-blue', password: 'pre-s3cret-post' });
    assert.deepEqual(config.rules[0]!.destinations, [
      { registry: 'd.example:5000', repository: 'mirror/b-blue' },
      { registry: 'd.example:5000', repository: 'plain/b' },
    ]);
    const problems = problemsOf(() => parse({ auth: { 'h.example': { password: 'x-${NOPE_PASS}' } }, images: { 'h.example/a/b': 'd.example/${NOPE_NS}/b' } }));
    assert.deepEqual(problems.sort(), [
      'config.yaml: auth.h.example.password: environment variable NOPE_PASS is not set',
      'config.yaml: images["h.example/a/b"]: destination: environment variable NOPE_NS is not set',
    ]);
  });

  test('an auth file alone (copy --auth) keeps credentials and insecure, with variables expanded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crossdock-auth-'));
    try {
      const path = join(dir, 'auth.yaml');
      await writeFile(path, 'h.example:\n  username: ${REG_USER}\n  password: "$REG_PASS"\n  insecure: true\n');
      assert.deepEqual(await loadAuthFile(path, env), { 'h.example': { username: 'alice', password: 's3cret', insecure: true } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
