import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCloudCredentials } from '../../shared/cloud/cloud-credentials.ts';
import type { CloudRegistryInput } from '../../shared/cloud/cloud-registry-options.ts';
import { createLogger } from '../../shared/log.ts';
import { declareRegistries } from '../../shared/oci/egress-policy.ts';
import { BASE_ACCOUNT, BASE_CREDENTIALS, startControlPlane, type ControlPlane } from '../support/aws-control-plane.ts';
import { closeRegistryClients, listTags, pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { assertImageAt } from '../shared/oci/destination.ts';
import { startHarness, type Harness } from './harness.ts';

// Issue 14: replicating into another account. STS and ECR are the scripted control plane of
// test/support/aws-control-plane.ts (no AWS is reachable here); the destination "account" is a
// real Distribution registry whose token issuer accepts only ECR tokens the plane issued to a
// principal of that account, and grants push only where the role's permissions allow it.
// The scripted endpoints are reached only because the service's configuration declares them.

const DEST_ACCOUNT = '222222222222';
const ROLE = `arn:aws:iam::${DEST_ACCOUNT}:role/crossdock-replication`;
const UNGRANTED_ROLE = `arn:aws:iam::${DEST_ACCOUNT}:role/never-granted`;
const EXTERNAL_ID = 'crossdock-7f3a9c';

let plane: ControlPlane;
let src: TestRegistry;
let dst: TestRegistry;
let h: Harness;

function ecr(roleArn: string, externalId = EXTERNAL_ID): CloudRegistryInput {
  return {
    ecr: { region: 'us-east-1', accountId: DEST_ACCOUNT, roleArn, externalId, endpoint: plane.ecrEndpoint, stsEndpoint: plane.stsEndpoint, credentials: BASE_CREDENTIALS },
  };
}

describe('replicating into another account', () => {
  before(async () => {
    plane = await startControlPlane();
    plane.roles.set(ROLE, { trusted: true, externalId: EXTERNAL_ID, prefixes: ['mirror'] });
    [src, dst] = await Promise.all([
      startRegistry({ name: 'xacct-src' }),
      startRegistry({ name: 'xacct-dst', auth: 'token', token: plane.registryAuth(DEST_ACCOUNT) }),
    ]);
    const registries: Record<string, CloudRegistryInput> = {
      [src.host]: {},
      [dst.host]: ecr(ROLE),
      // Per namespace: a role the destination never granted, and the right role with a wrong external id.
      [`${dst.host}/ungranted`]: ecr(UNGRANTED_ROLE),
      [`${dst.host}/wrong-id`]: ecr(ROLE, 'not-the-agreed-id'),
    };
    const declare = [...plane.hosts, new URL(dst.tokenIssuer!.realm).host];
    const logger = createLogger({ level: 'error' });
    const credentials = createCloudCredentials(registries, { logger, defaultChain: false, declared: declareRegistries({ ...registries, ...Object.fromEntries(declare.map((d) => [d, {}])) }) });
    h = await startHarness({ registries, declare, credentials });
  });

  after(async () => {
    await h?.close();
    await Promise.all([src?.close(), dst?.close(), plane?.close()]);
    await closeRegistryClients();
  });

  test('a namespace rule replicates into the account through the assumed role, creating each repository', async () => {
    const [api, web] = await Promise.all([pushImage(src, 'team/api', { tag: 'v1', seed: 'xacct-api' }), pushImage(src, 'team/web', { tag: 'v1', seed: 'xacct-web' })]);

    const created = await h.api('POST', '/rules', { name: 'into-prod', source: { registry: src.host, namespace: 'team' }, destinations: [{ registry: dst.host, namespace: 'mirror' }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // The grant was checked at once, under a session naming the rule.
    const check = plane.calls.find((c) => c.action === 'AssumeRole');
    assert.equal(check?.status, 200);
    assert.equal(check?.roleArn, ROLE);
    assert.match(check?.sessionName ?? '', /rule-into-prod/);
    assert.ok(plane.calls.some((c) => c.action === 'BatchCheckLayerAvailability' && c.repository === 'mirror/crossdock-grant-check'));

    const run = await h.api('POST', `/rules/${created.body.id}/run`);
    assert.equal(run.status, 202, JSON.stringify(run.body));
    await h.drain();

    // A rule run is an execution whose listing goes through the queue (issue 12).
    const tasks = (await h.api('GET', `/tasks?execution=${run.body.execution.id}`)).body.items;
    assert.equal(tasks.length, 2, JSON.stringify(tasks));
    for (const task of tasks) assert.equal(task.status, 'SUCCEEDED', JSON.stringify(task));
    await assertImageAt(dst, 'mirror/api', 'v1', api);
    await assertImageAt(dst, 'mirror/web', 'v1', web);
    assert.deepEqual([...(plane.repositories.get(DEST_ACCOUNT)?.keys() ?? [])].sort(), ['mirror/api', 'mirror/web']);
    assert.equal(plane.repositories.get(BASE_ACCOUNT)?.size ?? 0, 0, 'nothing was created in the deployment\'s own account');
    const creators = plane.calls.filter((c) => c.action === 'CreateRepository' && c.status === 200).map((c) => c.principal);
    assert.ok(creators.length === 2 && creators.every((p) => p.startsWith(`${ROLE}/`)), JSON.stringify(creators));
  });

  test('a destination that has not granted the role, or not for that prefix, is refused at rule creation, naming what is missing', async () => {
    const res = await h.api('POST', '/rules', {
      name: 'refused',
      source: { registry: src.host, namespace: 'team' },
      destinations: [
        { registry: dst.host, namespace: 'ungranted' },
        { registry: dst.host, namespace: 'wrong-id' },
        { registry: dst.host, namespace: 'elsewhere' },
      ],
    });

    assert.equal(res.status, 400, JSON.stringify(res.body));
    const message = JSON.stringify(res.body);
    assert.match(message, new RegExp(`destinations\\.0: role ${UNGRANTED_ROLE} cannot be assumed.*: STS answered AccessDenied`));
    assert.match(message, new RegExp(`destinations\\.1: role ${ROLE} cannot be assumed with the configured external id`));
    assert.match(message, /destinations\.2: role [^ ]+ may not check push to elsewhere\/crossdock-grant-check .*ecr:BatchCheckLayerAvailability/);
    assert.ok(!message.includes(BASE_CREDENTIALS.secretAccessKey));
    const rules = (await h.api('GET', '/rules')).body.items as { name: string }[];
    assert.ok(!rules.some((r) => r.name === 'refused'), 'no rule stored');

    const sync = await h.api('POST', '/sync', { source: `${src.host}/team/api:v1`, destinations: [`${dst.host}/ungranted/api`] });
    assert.equal(sync.status, 400, JSON.stringify(sync.body));
    assert.match(JSON.stringify(sync.body), /destinations\.0: role .*never-granted cannot be assumed/);

    const subscription = await h.api('POST', '/subscriptions', { name: 'refused-sub', source: { registry: src.host, repository: 'team/api' }, destination: { registry: dst.host, repository: 'ungranted/api' }, latest: 1 });
    assert.equal(subscription.status, 400, JSON.stringify(subscription.body));
    assert.match(JSON.stringify(subscription.body), /destination: role .*never-granted cannot be assumed/);
    assert.match(plane.calls.filter((c) => c.action === 'AssumeRole').at(-1)?.sessionName ?? '', /subscription-refused-sub/);
  });

  test('a grant withdrawn after the request fails the task with GRANT_MISSING, and nothing is pushed', async () => {
    await pushImage(src, 'team/late', { tag: 'v1', seed: 'xacct-late' });
    const sync = await h.api('POST', '/sync', { source: `${src.host}/team/late:v1`, destinations: [`${dst.host}/mirror/late`] });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));

    // The destination owner removes the trust and the permissions; the worker still holds a session and a token.
    plane.roles.set(ROLE, { trusted: false, prefixes: [] });
    const drained = await h.drain();

    const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
    assert.equal(record.status, 'FAILED', JSON.stringify(record));
    assert.equal(record.error.code, 'GRANT_MISSING');
    assert.match(record.error.message, new RegExp(`role ${ROLE}`));
    assert.equal(record.attempts, 1, 'permanent: not retried');
    assert.equal(drained.failed, 0);
    assert.deepEqual(await listTags(dst, 'mirror/late'), []);
  });
});
