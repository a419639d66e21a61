// Loaded into the runtime by bench:memory (NODE_OPTIONS=--import): every second, writes the
// serving process's V8 heap figures to CROSSDOCK_MEMORY_PROBE, so that the benchmark can tell the
// V8 heap's share of RSS from the rest (native memory: buffers, sockets, allocator, LevelDB), and
// which of the heap's spaces holds the committed memory (new, old, large-object, code).
// Does nothing in any other process (npm, which NODE_OPTIONS also reaches).
import { renameSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const file = process.env.CROSSDOCK_MEMORY_PROBE;
if (file && process.argv.some((arg) => arg.endsWith('crossdock.mjs')) && process.argv.includes('serve')) {
  const mb = (bytes) => Math.round(bytes / 1048576);
  const timer = setInterval(() => {
    const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
    const spaces = {};
    for (const space of getHeapSpaceStatistics()) {
      if (space.space_size > 0) spaces[space.space_name.replace(/_space$/, '')] = { committed: mb(space.space_size), used: mb(space.space_used_size) };
    }
    // Written aside then renamed: the benchmark never reads half a report.
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, rss: mb(rss), heapTotal: mb(heapTotal), heapUsed: mb(heapUsed), external: mb(external), spaces }));
    renameSync(`${file}.tmp`, file);
  }, 1000);
  timer.unref();
}
