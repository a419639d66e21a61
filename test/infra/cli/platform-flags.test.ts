import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { platformsFromFlags } from '../../../infra/cli/platform-flags.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { platformMatches } from '../../../shared/oci/platform-filter.ts';

const keeps = (flags: Parameters<typeof platformsFromFlags>[0], platform: { os: string; architecture: string; variant?: string }) => platformMatches(platform, platformsFromFlags(flags)!);

describe('image-syncer --os and --arch', () => {
  test('--os alone keeps every architecture of that OS', () => {
    assert.equal(keeps({ os: ['linux'] }, { os: 'linux', architecture: 's390x' }), true);
    assert.equal(keeps({ os: ['linux'] }, { os: 'windows', architecture: 'amd64' }), false);
  });

  test('--arch alone keeps that architecture of every OS', () => {
    assert.equal(keeps({ arch: ['arm64'] }, { os: 'linux', architecture: 'arm64', variant: 'v8' }), true);
    assert.equal(keeps({ arch: ['arm64'] }, { os: 'linux', architecture: 'amd64' }), false);
  });

  test('arch:variant names one variant; a bare arch keeps all its variants', () => {
    assert.equal(keeps({ arch: ['arm:v7'] }, { os: 'linux', architecture: 'arm', variant: 'v7' }), true);
    assert.equal(keeps({ arch: ['arm:v7'] }, { os: 'linux', architecture: 'arm', variant: 'v6' }), false);
    assert.equal(keeps({ arch: ['arm'] }, { os: 'linux', architecture: 'arm', variant: 'v6' }), true);
  });

  test('both lists filter together, repeated or comma-separated', () => {
    const flags = { os: ['linux'], arch: ['amd64,arm64', 'arm:v7'] };
    assert.equal(keeps(flags, { os: 'linux', architecture: 'arm64' }), true);
    assert.equal(keeps(flags, { os: 'linux', architecture: 'arm', variant: 'v7' }), true);
    assert.equal(keeps(flags, { os: 'windows', architecture: 'amd64' }), false);
  });

  test('nothing given is no filter; bad values are all named at once', () => {
    assert.equal(platformsFromFlags({}), undefined);
    assert.throws(() => platformsFromFlags({ os: ['linux:10.0', 'lin ux'], arch: ['arm:v7:x'] }), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError);
      assert.equal(error.problems.length, 3);
      return true;
    });
  });
});
