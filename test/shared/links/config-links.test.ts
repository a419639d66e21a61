import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configuredRouteTargets, storeConfigLinks } from '../../../shared/links/config-links.ts';
import { DynamoDbLinkStore } from '../../../shared/links/dynamodb-link-store.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { LocalConfig } from '../../../infra/local/config.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

describe('links in the local configuration', () => {
  let aws: LocalAws;
  let store: DynamoDbLinkStore;
  before(async () => {
    aws = await startLocalAws();
    store = new DynamoDbLinkStore(aws.clients.dynamodb, aws.tables.rules);
  });
  after(() => aws?.close());

  const config = LocalConfig.parse({
    registries: { 'src.example': {}, 'dst.example': {} },
    links: {
      'to-dst': { name: 'to dst', sourceRegistry: 'src.example', destinationRegistry: 'dst.example', type: 'custom', maxBandwidth: 1_048_576, route: { proxy: 'http://127.0.0.1:3128' } },
    },
  });

  test('are stored under their key at start, keeping their creation time when stored again', async () => {
    await storeConfigLinks(store, config.links, new Date('2026-12-01T10:00:00Z'));
    await storeConfigLinks(store, config.links, new Date('2026-12-01T11:00:00Z'));
    const [link, ...rest] = await store.list();
    assert.deepEqual(rest, []);
    assert.equal(link?.id, 'to-dst');
    assert.equal(link?.createdAt, '2026-12-01T10:00:00.000Z');
    assert.equal(link?.updatedAt, '2026-12-01T11:00:00.000Z');
    assert.equal(link?.enabled, true);
  });

  test('their route targets count as declared: the operator wrote them', () => {
    assert.deepEqual(configuredRouteTargets(config.links), ['127.0.0.1:3128']);
  });

  test('a second link for a pair, or a route on a non-custom link, stops the start with the key named', async () => {
    const twice = LocalConfig.parse({ links: { again: { name: 'again', sourceRegistry: 'src.example', destinationRegistry: 'dst.example' } } }).links;
    await assert.rejects(storeConfigLinks(store, twice, new Date()), (error: unknown) => error instanceof InvalidInputError && /^links\.again: link "to dst" \(to-dst\) joins src\.example → dst\.example already/.test(error.message));
    const routed = LocalConfig.parse({ links: { bad: { name: 'bad', sourceRegistry: 'a.example', destinationRegistry: 'b.example', route: { destinationAddress: '10.0.0.5:443' } } } }).links;
    await assert.rejects(storeConfigLinks(store, routed, new Date()), (error: unknown) => error instanceof InvalidInputError && error.problems[0]!.startsWith('links.bad.route: only a custom link has a route'));
    const invalid = LocalConfig.safeParse({ links: { 'Bad Key': { name: 'x', sourceRegistry: 'a', destinationRegistry: 'b' }, ok: { name: 'y', sourceRegistry: 'a', destinationRegistry: 'b', maxBandwidth: 5, type: 'fast' } } });
    assert.equal(invalid.success, false);
    assert.deepEqual(invalid.error!.issues.map((i) => i.path.join('.')).sort(), ['links.Bad Key', 'links.ok.maxBandwidth', 'links.ok.type']);
  });
});
