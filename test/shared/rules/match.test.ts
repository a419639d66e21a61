import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import { matchRules, RuleIndex } from '../../../shared/rules/match.ts';
import { registryKey, Rule, RuleInput, ruleProblems, sameRegistry } from '../../../shared/rules/rule.ts';

let n = 0;
function rule(input: Omit<z.input<typeof RuleInput>, 'name'>): Rule {
  n++;
  return Rule.parse({ ...RuleInput.parse({ name: `r${n}`, ...input }), id: `rule-${n}`, createdAt: 'now', updatedAt: 'now' });
}

const team = rule({ source: { registry: 'src.example', namespace: 'team' }, destinations: [{ registry: 'dst.example', namespace: 'mirror' }, { registry: 'dr.example', namespace: 'dr' }] });
const renamed = rule({ source: { registry: 'src.example', namespace: 'team', repository: 'api' }, tagPattern: 'v[0-9]+', destinations: [{ registry: 'dst.example', namespace: 'prod', repository: 'backend' }] });
const hub = rule({ source: { registry: 'index.docker.io', namespace: 'library' }, destinations: [{ registry: 'dst.example', namespace: 'hub' }] });
const disabled = rule({ enabled: false, source: { registry: 'src.example', namespace: 'team' }, destinations: [{ registry: 'dst.example', namespace: 'off' }] });
const rules = [team, renamed, hub, disabled];

describe('matchRules', () => {
  test('a namespace rule keeps the path below its namespace, for every destination', () => {
    const matches = matchRules(rules, { registry: 'src.example', repository: 'team/app/web', tag: 'latest' });
    assert.deepEqual(matches.map((m) => `${m.rule.id} ${m.destination.registry}/${m.destination.repository}:${m.destination.tag}`), [
      `${team.id} dst.example/mirror/app/web:latest`,
      `${team.id} dr.example/dr/app/web:latest`,
    ]);
  });

  test('a repository rule renames, and its pattern must match the whole tag', () => {
    const v2 = matchRules(rules, { registry: 'src.example', repository: 'team/api', tag: 'v2' }).filter((m) => m.rule === renamed);
    assert.equal(v2[0]?.destination.repository, 'prod/backend');
    assert.equal(matchRules(rules, { registry: 'src.example', repository: 'team/api', tag: 'v2-rc1' }).filter((m) => m.rule === renamed).length, 0);
  });

  test('registry aliases, other namespaces, untagged pushes and disabled rules', () => {
    assert.equal(matchRules(rules, { registry: 'docker.io', repository: 'library/alpine', tag: '3' })[0]?.rule, hub);
    assert.deepEqual(matchRules(rules, { registry: 'src.example', repository: 'teams/app', tag: 'v1' }), []);
    assert.deepEqual(matchRules(rules, { registry: 'src.example', repository: 'team/app' }), []);
    assert.ok(!matchRules(rules, { registry: 'src.example', repository: 'team/app', tag: 'v1' }).some((m) => m.rule === disabled));
  });

  test('the index finds exactly what a scan of every rule finds', () => {
    const many = Array.from({ length: 300 }, (_, i) => rule({ source: { registry: 'src.example', namespace: `ns-${i % 50}`, ...(i % 3 === 0 ? { repository: `app-${i % 7}` } : {}) }, tagPattern: i % 2 ? '.*' : 'v.*', destinations: [{ registry: 'dst.example', namespace: `m${i}` }] }));
    const index = new RuleIndex(many);
    for (let i = 0; i < 200; i++) {
      const event = { registry: 'src.example', repository: `ns-${i % 60}/app-${i % 9}`, tag: i % 4 ? 'v1' : 'latest' };
      const key = (m: { rule: Rule; destination: { repository: string } }) => `${m.rule.id} ${m.destination.repository}`;
      assert.deepEqual(matchRules(index, event).map(key).sort(), matchRules(many, event).map(key).sort(), JSON.stringify(event));
    }
  });
});

describe('ruleProblems', () => {
  test('patterns RE2 cannot run in linear time (backreferences, lookaround) are refused', () => {
    const base = { source: { registry: 'src.example', namespace: 'team' }, destinations: [{ registry: 'dst.example', namespace: 'mirror' }] };
    assert.match(ruleProblems(RuleInput.parse({ name: 'x', ...base, tagPattern: '(a)\\1' })).join(), /tagPattern: invalid tag pattern/);
    assert.match(ruleProblems(RuleInput.parse({ name: 'x', ...base, tagPattern: 'v(?=1)' })).join(), /tagPattern: invalid tag pattern/);
    assert.deepEqual(ruleProblems(RuleInput.parse({ name: 'x', ...base, tagPattern: '(a+)+$' })), []);
  });
});

describe('registry names', () => {
  test('loopback aliases of one port are one registry; other ports and hosts are not', () => {
    assert.equal(registryKey('LOCALHOST:5000'), '127.0.0.1:5000');
    assert.equal(registryKey('localhost'), '127.0.0.1');
    assert.equal(registryKey('Registry.Example:443'), 'registry.example:443');
    assert.equal(registryKey('index.docker.io'), 'docker.io');
    assert.ok(sameRegistry('localhost:5000', '127.0.0.1:5000'));
    assert.ok(!sameRegistry('localhost:5000', '127.0.0.1:5001'));
    assert.ok(!sameRegistry('localhost:5000', 'registry.example:5000'));
    const local = rule({ source: { registry: '127.0.0.1:5611', namespace: 'team' }, destinations: [{ registry: 'dst.example', namespace: 'm' }] });
    assert.equal(matchRules([local], { registry: 'localhost:5611', repository: 'team/app', tag: 'v1' }).length, 1);
  });
});

describe('rule scopes: one repository by its whole name, the registry root, the whole registry', () => {
  const target = (m: { destination: { registry: string; repository: string; tag?: string } }) => `${m.destination.registry}/${m.destination.repository}:${m.destination.tag}`;

  test('source.repository alone is the repository-level rule written in two parts', () => {
    const whole = rule({ source: { registry: 'src.example', repository: 'team/app' }, destinations: [{ registry: 'dst.example', namespace: 'mirror' }] });
    assert.deepEqual(whole.source, { registry: 'src.example', namespace: 'team', repository: 'app' });
    assert.deepEqual(matchRules([whole], { registry: 'src.example', repository: 'team/app', tag: 'v1' }).map(target), ['dst.example/mirror/app:v1']);
    assert.deepEqual(matchRules([whole], { registry: 'src.example', repository: 'team/app/sub', tag: 'v1' }), []);
    assert.deepEqual(matchRules([whole], { registry: 'src.example', repository: 'team/other', tag: 'v1' }), []);
  });

  test('a repository at the registry root, with or without namespace ""', () => {
    for (const source of [{ registry: 'src.example', repository: 'app' }, { registry: 'src.example', namespace: '', repository: 'app' }]) {
      const root = rule({ source, destinations: [{ registry: 'dst.example', namespace: 'mirror' }, { registry: 'dr.example', namespace: '', repository: 'renamed' }] });
      assert.deepEqual(matchRules(new RuleIndex([root]), { registry: 'src.example', repository: 'app', tag: 'v1' }).map(target), ['dst.example/mirror/app:v1', 'dr.example/renamed:v1']);
      assert.deepEqual(matchRules([root], { registry: 'src.example', repository: 'team/app', tag: 'v1' }), []);
    }
  });

  test('a registry-wide rule covers every repository and keeps its whole path', () => {
    const everything = rule({ source: { registry: 'src.example' }, destinations: [{ registry: 'dst.example', namespace: 'mirror' }, { registry: 'dr.example' }] });
    const index = new RuleIndex([everything, team]);
    assert.deepEqual(matchRules(index, { registry: 'src.example', repository: 'app', tag: 'v1' }).map(target), ['dst.example/mirror/app:v1', 'dr.example/app:v1']);
    assert.deepEqual(matchRules(index, { registry: 'src.example', repository: 'team/app/web', tag: 'v1' }).filter((m) => m.rule === everything).map(target), ['dst.example/mirror/team/app/web:v1', 'dr.example/team/app/web:v1']);
    assert.deepEqual(matchRules(index, { registry: 'other.example', repository: 'app', tag: 'v1' }), []);
  });

  test('a destination inside the source scope on the same registry is refused: each copy would match again', () => {
    const problems = (source: object, destination: object) => ruleProblems(RuleInput.parse({ name: 'x', source, destinations: [destination] }));
    assert.match(problems({ registry: 'src.example' }, { registry: 'src.example', namespace: 'mirror' }).join(), /destinations.0: the destination namespace "mirror" lies inside the source's scope/);
    assert.match(problems({ registry: 'src.example', namespace: 'team' }, { registry: 'src.example', namespace: 'team/mirror' }).join(), /lies inside the source's scope/);
    assert.match(problems({ registry: 'src.example' }, { registry: 'src.example' }).join(), /destinations.0: the destination is the source itself/);
    assert.match(problems({ registry: 'src.example', repository: 'app' }, { registry: 'src.example' }).join(), /the destination is the source itself/);
    assert.deepEqual(problems({ registry: 'src.example', repository: 'app' }, { registry: 'src.example', namespace: 'mirror' }), []);
    assert.deepEqual(problems({ registry: 'src.example', namespace: 'team' }, { registry: 'src.example', namespace: 'mirror' }), []);
    assert.deepEqual(problems({ registry: 'src.example' }, { registry: 'dst.example' }), []);
  });

  test('overwrite is on unless a rule turns it off: a mirror follows its source', () => {
    assert.equal(rule({ source: { registry: 'src.example' }, destinations: [{ registry: 'dst.example' }] }).overwrite, true);
    assert.equal(rule({ source: { registry: 'src.example' }, destinations: [{ registry: 'dst.example' }], overwrite: false }).overwrite, false);
  });
});

describe('RuleIndex owns its compiled tag patterns', () => {
  test('an index compiles a rule\'s pattern once and keeps it; another index (rules reloaded) compiles its own', () => {
    const first = new RuleIndex([renamed]);
    const pattern = first.patternOf(renamed);
    assert.equal(first.patternOf(renamed), pattern);
    assert.equal(pattern.test('v2'), true);
    assert.equal(pattern.test('v2-rc1'), false);
    assert.notEqual(new RuleIndex([renamed]).patternOf(renamed), pattern);
  });
});
