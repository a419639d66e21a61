import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../../shared/errors.ts';
import { compileTagPattern, MAX_PATTERN_PROGRAM } from '../../../shared/patterns/tag-pattern.ts';
import { RuleInput, ruleProblems } from '../../../shared/rules/rule.ts';
import { parseSyncConfig } from '../../../shared/sync/config.ts';

// The pattern from issue 8: accepted before, each match then blocked the event loop for seconds.
const HEAVY = '(|a){1000}'.repeat(100);
const LONGEST_TAG = 'a'.repeat(128);

function refusal(pattern: string, anchored = true): InvalidInputError {
  try {
    compileTagPattern(pattern, { anchored });
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error));
    return error;
  }
  assert.fail(`expected "${pattern}" to be refused`);
}

describe('tag patterns have a bounded cost', () => {
  test('the heavy pattern is refused, naming the pattern and the limit', () => {
    const error = refusal(HEAVY);
    assert.equal(error.code, 'TAG_PATTERN_INVALID');
    assert.match(error.message, /^tag pattern "\(\|a\)\{1000\}\(\|a\)\{1000\}.*…" is too complex/);
    assert.ok(error.message.includes(`over the limit of ${MAX_PATTERN_PROGRAM}`), error.message);
  });

  test('a short pattern that compiles big is refused on its compiled size', () => {
    const error = refusal('(|a){300}');
    assert.match(error.message, /compiles to 1502 instructions, over the limit of 1000/);
    assert.match(refusal('[a-z]{1,1000}', false).message, /too complex/);
  });

  test('the costliest accepted pattern still matches the longest tag quickly', () => {
    const pattern = compileTagPattern('(|a){199}', { anchored: true });
    const started = performance.now();
    for (let i = 0; i < 10; i++) assert.equal(pattern.test(LONGEST_TAG), true);
    const perMatch = (performance.now() - started) / 10;
    // About 10 ms here; the refused pattern took over 2 s a match. The bound is deliberately loose.
    assert.ok(perMatch < 250, `${perMatch.toFixed(1)} ms per match`);
  });

  test('ordinary patterns stay well inside the limit', () => {
    for (const pattern of ['.*', 'v[0-9]+(\\.[0-9]+){0,3}(-[a-z0-9.]+)?', '[[:alnum:]]{1,20}(\\.[[:alnum:]]{1,20}){0,10}', '.{0,128}', '(?P<major>[0-9]+)\\.(?<minor>[0-9]+)']) {
      assert.doesNotThrow(() => compileTagPattern(pattern, { anchored: true }), pattern);
    }
  });

  test('a rule and a sync config with the heavy pattern are refused at creation', () => {
    const base = { name: 'x', source: { registry: 'src.example', namespace: 'team' }, destinations: [{ registry: 'dst.example', namespace: 'mirror' }] };
    assert.match(ruleProblems(RuleInput.parse({ ...base, tagPattern: '(|a){1000}' })).join('\n'), /^tagPattern: tag pattern "\(\|a\)\{1000\}" is too complex.*limit of 1000/);
    assert.throws(
      () => parseSyncConfig({ images: { [`src.example/team/app:/${'(|a){1000}'.repeat(90)}/`]: 'dst.example/mirror/app' } }, 'config.yaml', { env: {} }),
      (error: unknown) => error instanceof InvalidInputError && /images\[.*\]: tag pattern ".*" is too complex.*limit of 1000/.test(error.message),
    );
  });
});

describe('unsupported constructs are named', () => {
  for (const [pattern, named] of [
    ['(?<=v)1', 'lookbehind'],
    ['(?<!v)1', 'negative lookbehind'],
    ['v(?=1)', 'lookahead'],
    ['v(?!1)', 'negative lookahead'],
    ['(a)\\1', 'backreference \\1'],
    ['(?<n>a)\\k<n>', 'backreference \\k'],
    ['a++', 'possessive quantifier ++'],
    ['a{2}+', 'possessive quantifier {2}+'],
    ['(?>a)', 'atomic group'],
  ] as const) {
    test(`${pattern} → ${named}`, () => {
      const error = refusal(pattern);
      assert.ok(error.message.includes(`${named}`), error.message);
      assert.ok(!error.message.includes('invalid named capture'), error.message);
    });
  }

  test('the same characters inside a class or after an escape are not taken for them', () => {
    assert.equal(compileTagPattern('[(?<=]+', { anchored: true }).test('(?<='), true);
    assert.equal(compileTagPattern('\\(\\?=x', { anchored: true }).test('(?=x'), true);
  });
});

describe("image-syncer's /regex/ form", () => {
  test('a rule pattern written between slashes drops them and matches the whole tag', () => {
    const pattern = compileTagPattern('/^v.*$/', { anchored: true });
    assert.equal(pattern.source, '^v.*$');
    assert.equal(pattern.test('v1.2'), true);
    assert.equal(pattern.test('1.2-v'), false);
    assert.equal(compileTagPattern('/v[0-9]+/', { anchored: true }).test('xv1'), false);
  });
});
