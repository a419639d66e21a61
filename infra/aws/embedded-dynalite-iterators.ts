/**
 * dynalite leaves a LevelDB iterator open behind every Query and Scan (issue 8: the local
 * runtime's memory grew about 14 MB per 1,000 tasks, outside the V8 heap). Its streams over the
 * store end by calling the iterator's `return()`, but abstract-level 3 iterators have `close()`
 * and no `return()`, so none is ever closed. The database keeps every open iterator (to close it
 * at shutdown), and each one pins the LevelDB memtable and table version it was opened on, so
 * native memory grows with every memtable flushed while the runtime writes task records
 * (memory-level, the in-memory engine, likewise keeps each iterator's snapshot).
 *
 * dynalite exposes neither its store nor its database; its `db` module does expose the `create`
 * its server calls for the store. Once per process this wraps that `create`: the store's database
 * hands out iterators whose `return()` closes them, which is what dynalite's streams call both at
 * their end and when a query stops at its `Limit`. Everything else stays dynalite's own code.
 */
import { createRequire } from 'node:module';

interface LevelIterator {
  close(): Promise<void>;
  return?: () => Promise<IteratorResult<unknown>>;
}
type IteratorMethod = (options?: unknown) => LevelIterator;
interface LevelDatabase {
  keys: IteratorMethod;
  values: IteratorMethod;
}
interface DynaliteDbModule {
  create: (options: unknown) => { db: LevelDatabase };
}

const ITERATOR_METHODS = ['keys', 'values'] as const;
let patched = false;

/** Patches dynalite's store creation once; later calls do nothing. Call before `dynalite()`. */
export function closeDynaliteIterators(): void {
  if (patched) return;
  const dbModule = createRequire(import.meta.url)('dynalite/db/index.js') as DynaliteDbModule;
  const create = dbModule.create;
  if (typeof create !== 'function') throw new Error('dynalite changed shape: its db module has no create to wrap');
  dbModule.create = function createClosingIterators(this: unknown, options: unknown) {
    const store = create.call(this, options);
    closeIteratorsOnReturn(store.db);
    return store;
  };
  patched = true;
}

/** Gives every iterator `db.keys()` and `db.values()` open a `return()` that closes it. */
export function closeIteratorsOnReturn(db: LevelDatabase): void {
  for (const method of ITERATOR_METHODS) {
    const open = db[method];
    if (typeof open !== 'function') throw new Error(`dynalite changed shape: its database has no ${method}() to wrap`);
    db[method] = (options?: unknown) => {
      const iterator = open.call(db, options);
      iterator.return ??= async () => {
        await iterator.close();
        return { done: true, value: undefined };
      };
      return iterator;
    };
  }
}
