import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareSemver, keepCandidates } from '../../../shared/subscriptions/latest-tags.ts';

// A subscription run reads the tag list a page at a time and keeps only what it may choose from:
// whatever the pages, it must keep what the whole list would have given.
const tags = ['1.0.0', 'latest', 'v2.0.0', '1.10.0', 'v1.9.9', '2.0.0-rc.1', 'nightly', '0.1.0', '3.0.0-beta', '1.2.3'];
const pagesOf = (size: number) => Array.from({ length: Math.ceil(tags.length / size) }, (_, i) => tags.slice(i * size, (i + 1) * size));
const byPages = (size: number, order: 'pushed' | 'semver', n: number, max: number) => pagesOf(size).reduce<string[]>((kept, page) => keepCandidates(kept, page, order, n, max), []);

describe('candidates kept across tag pages', () => {
  test('by push time: the last maxCandidates tags listed, in list order, whatever the page size', () => {
    for (const size of [1, 3, 4, 10]) assert.deepEqual(byPages(size, 'pushed', 2, 4), tags.slice(-4), `pages of ${size}`);
  });

  test('by version: the n highest semantic versions, whatever the page size', () => {
    const highest = tags.filter((t) => /^v?\d+\.\d+\.\d+/.test(t)).sort((a, b) => compareSemver(b, a)).slice(0, 3);
    assert.deepEqual(highest, ['3.0.0-beta', 'v2.0.0', '2.0.0-rc.1']);
    for (const size of [1, 3, 4, 10]) assert.deepEqual(byPages(size, 'semver', 3, 500), highest, `pages of ${size}`);
  });
});
