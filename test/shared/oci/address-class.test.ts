import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyAddress, isMetadataName } from '../../../shared/oci/address-class.ts';

// Pure classification of address text: no resolution, no sockets, nothing leaves the process.

describe('classifyAddress', () => {
  const cases: Array<[string, ReturnType<typeof classifyAddress>]> = [
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['[fd00:ec2::254]', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['169.254.0.1', 'link-local'],
    ['169.254.255.255', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'unusable'],
    ['::', 'unusable'],
    ['224.0.0.1', 'unusable'],
    ['255.255.255.255', 'unusable'],
    ['ff02::1', 'unusable'],
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.1.2.3', 'private'],
    ['172.32.0.1', 'public'],
    ['172.15.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    ['registry.example.com', undefined],
    ['', undefined],
  ];
  for (const [address, expected] of cases) {
    test(`${address || '(empty)'} is ${expected ?? 'not an address'}`, () => {
      assert.equal(classifyAddress(address), expected);
    });
  }
});

describe('isMetadataName', () => {
  test('cloud metadata names are recognised whatever their case or trailing dot', () => {
    assert.equal(isMetadataName('metadata.google.internal'), true);
    assert.equal(isMetadataName('Metadata.Google.Internal.'), true);
    assert.equal(isMetadataName('metadata'), true);
  });

  test('ordinary registry names are not metadata names', () => {
    assert.equal(isMetadataName('registry.example.com'), false);
    assert.equal(isMetadataName('metadata.example.com'), false);
  });
});
