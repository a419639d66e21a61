/**
 * The worker: one queue message is one task. Claim it, copy with the caller's deadline, record
 * the outcome. Retryable failures go back to the queue, hidden for a backoff (exponential with
 * jitter, `Retry-After` wins) shown on the record as `nextAttemptAt`, until the last receive,
 * which records FAILED (dead-lettered) and lets the message go to the dead-letter queue, whence a
 * redrive runs the task again; permanent failures are recorded and acknowledged.
 */
import { asCrossdockError, DeadlineExceededError } from '../errors.ts';
import type { LinkGate } from '../links/link-gate.ts';
import type { Logger } from '../log.ts';
import type { CopyEngine, CopyResult } from '../oci/copy.ts';
import { parsePlatforms } from '../oci/platform-filter.ts';
import { formatReference } from '../oci/reference.ts';
import { RegistryError } from '../oci/registry-error.ts';
import { TransferLedger, TransferPausedError } from '../oci/blob-progress.ts';
import { TaskMessage, type Queue } from '../queue/queue.ts';
import { ProgressMeter, reportProgress } from './progress-meter.ts';
import { admitTask, type Admitted } from './link-admission.ts';
import { replicateDelete } from './replicate-delete.ts';
import { DEFAULT_REDELIVERY, redeliveryDelayMs, type RedeliveryPolicy } from './redelivery.ts';
import type { Task, TaskResult } from './task.ts';
import type { TaskStore } from './task-store.ts';

export interface WorkerDeps {
  taskStore: TaskStore;
  engine: CopyEngine;
  logger: Logger;
  /** Receives after which SQS moves a message to the dead-letter queue (the redrive policy). */
  maxReceiveCount: number;
  /** Changes a failed message's visibility; without it the message returns after the visibility timeout. */
  queue?: Queue;
  redelivery?: RedeliveryPolicy;
  /** Sync links (issue 13): caps, queues and routes between registries; absent: every task on the default path. */
  links?: LinkGate;
  random?: () => number;
  now?: () => Date;
  /** How often a RUNNING task's progress is written (default PROGRESS_INTERVAL_MS). */
  progressIntervalMs?: number;
  /**
   * Told each finished record (SUCCEEDED, SKIPPED, FAILED) after it is written: notifications,
   * metrics. Awaited before the batch returns (so Lambda does not freeze it half-done) but never
   * past the deadline; what it throws is logged and changes nothing about the task.
   */
  onTaskFinished?: (task: Task) => Promise<void> | void;
}

export interface QueueRecord {
  messageId: string;
  body: string;
  /** For ChangeMessageVisibility. */
  receiptHandle?: string;
  /** How many times this message has been received, this time included. */
  receiveCount: number;
}

export interface WorkerInvocation {
  /** Epoch ms by which every copy must stop (Lambda's remaining time, less a margin). */
  deadline: number;
  /** Aborts the copies in flight (a shutdown): their tasks go back to PENDING, not FAILED. */
  signal?: AbortSignal;
}

/** Time kept back from the deadline to record the outcome after a copy gives up. */
export const RECORD_MARGIN_MS = 5_000;
/** Time kept back before that for resumable uploads to end their request and save their progress. */
export const PAUSE_MARGIN_MS = 5_000;
/** Pauses in a row with no blob byte moved before a task is treated as failing (DEADLINE_EXCEEDED). */
export const MAX_STALLED_PAUSES = 3;
/** Neither margin takes more than this share of a short invocation (the local runtime's limit). */
const MARGIN_SHARE = 0.2;

/** When copies must give up, and when resumable uploads stop to save their progress. */
export function copyTimes(deadline: number, now: number): { copyDeadline: number; stopAt: number } {
  const share = Math.max(0, deadline - now) * MARGIN_SHARE;
  const copyDeadline = deadline - Math.min(RECORD_MARGIN_MS, share);
  return { copyDeadline, stopAt: copyDeadline - Math.min(PAUSE_MARGIN_MS, share) };
}

export function createWorker(deps: WorkerDeps) {
  const now = deps.now ?? (() => new Date());
  const redelivery = deps.redelivery ?? DEFAULT_REDELIVERY;
  const random = deps.random ?? Math.random;

  /** Hides the message for the backoff; the time it returns, or undefined when it could not be changed. */
  const delay = async (record: QueueRecord, error: unknown, log: Logger): Promise<Date | undefined> => {
    if (!deps.queue?.delay || !record.receiptHandle) return undefined;
    const ms = redeliveryDelayMs(redelivery, record.receiveCount, random, error instanceof RegistryError ? error.retryAfterMs : undefined);
    try {
      await deps.queue.delay(record.receiptHandle, ms / 1000);
      return new Date(now().getTime() + Math.ceil(ms / 1000) * 1000);
    } catch (thrown) {
      // The message still comes back, after the visibility timeout.
      log.warn('message visibility not changed', { error: (thrown as Error).message });
      return undefined;
    }
  };

  /** Reads the record as written and hands it to the observer; the promise never rejects. */
  const observe = (taskId: string, log: Logger, after: Promise<unknown>[]): void => {
    const observer = deps.onTaskFinished;
    if (!observer) return;
    after.push(deps.taskStore.get(taskId).then((task) => (task ? observer(task) : undefined)).catch((error: unknown) => log.error('task observer failed', { error: (error as Error).message })));
  };

  const processRecord = async (record: QueueRecord, invocation: WorkerInvocation, after: Promise<unknown>[]): Promise<boolean> => {
    const parsed = TaskMessage.safeParse(safeJson(record.body));
    if (!parsed.success) {
      // Retrying cannot fix a malformed message: acknowledge it, loudly.
      deps.logger.error('message invalid', { message_id: record.messageId });
      return true;
    }
    const { taskId, generation, notBefore } = parsed.data;
    const log = deps.logger.child({ task_id: taskId });
    const early = notBefore === undefined ? 0 : Date.parse(notBefore) - now().getTime();
    if (early > 1000) {
      // Received before its not-before time (SQS delays 15 minutes at most): hidden again until then.
      if (deps.queue?.delay && record.receiptHandle) await deps.queue.delay(record.receiptHandle, early / 1000);
      log.info('task not due', { not_before: notBefore });
      return false;
    }
    const admission = deps.links ? await admitTask({ store: deps.taskStore, links: deps.links, now, ...(deps.queue ? { queue: deps.queue } : {}) }, parsed.data, log) : undefined;
    if (admission && !admission.admitted) return admission.done;
    try {
      return await runClaimed(record, invocation, taskId, generation ?? 0, log, admission, after);
    } finally {
      await admission?.session?.stop().catch((error: unknown) => log.warn('link slot not released', { error: (error as Error).message }));
    }
  };

  const runClaimed = async (record: QueueRecord, invocation: WorkerInvocation, taskId: string, generation: number, log: Logger, admission: Admitted | undefined, after: Promise<unknown>[]): Promise<boolean> => {
    const leaseMs = Math.max(invocation.deadline - now().getTime(), 60_000);
    const claim = await deps.taskStore.claim(taskId, now(), leaseMs, generation);
    if (!claim.claimed) {
      log.info('task not claimed', { why: claim.why });
      // Another worker holds it: look again after the visibility timeout.
      return claim.why !== 'running';
    }
    const task = claim.task;
    log.info('task started', { attempt: task.attempts, source: formatReference(task.source), destination: formatReference(task.destination), ...(task.resume ? { resumed_blobs: task.resume.blobs.length } : {}), ...(admission ? { link_id: admission.link.id } : {}) });
    const times = copyTimes(invocation.deadline, now().getTime());
    const ledger = new TransferLedger({ saved: task.resume?.blobs ?? [], stopAt: times.stopAt });
    // A lost link slot stops the copy as the deadline would: resumable uploads save their offset.
    admission?.session?.onLost(() => ledger.stop());
    const meter = new ProgressMeter(() => now().getTime(), (task.resume?.blobs ?? []).reduce((sum, b) => sum + b.offset, 0));
    const reporter = reportProgress(deps.taskStore, taskId, meter, log, deps.progressIntervalMs);
    const onLink = admission ? linkFields(admission, task) : {};
    const transferStart = now().getTime();
    try {
      // The progress writes end with the copy, before the outcome is (no write refused after it).
      const { status, result } = task.kind === 'delete'
        ? await replicateDelete(deps.engine.pool, task, { deadline: times.copyDeadline, ...(invocation.signal ? { signal: invocation.signal } : {}) }).finally(() => reporter.stop())
        : await copyTask({ ...deps, ...(admission?.engine ? { engine: admission.engine } : {}) }, task, times.copyDeadline, invocation.signal, ledger, meter, admission?.session?.pace)
          .finally(() => reporter.stop())
          .then((copied) => ({ status: copied.status === 'skipped' ? 'SKIPPED' as const : 'SUCCEEDED' as const, result: toTaskResult(copied) }));
      await deps.taskStore.finish(taskId, { status, result, ...started(task), ...onLink, ...(admission ? { transferMs: now().getTime() - transferStart } : {}) }, now());
      log.info('task finished', { status, digest: result.digest, size: result.bytes, reason: result.reason });
      observe(taskId, log, after);
      return true;
    } catch (caught) {
      let thrown = caught;
      if (thrown instanceof TransferPausedError && !invocation.signal?.aborted) {
        await ledger.settled();
        if (meter.movedBytes > 0 || (task.resume?.stalled ?? 0) + 1 < MAX_STALLED_PAUSES) return await pause(record, task, ledger, meter, log);
        // Invocations that end before any byte moves (too short a limit, a stalled source) go
        // the way of any retryable failure, towards the dead-letter queue, not round forever.
        thrown = new DeadlineExceededError(`copy ${formatReference(task.source)} → ${formatReference(task.destination)}: ${MAX_STALLED_PAUSES} invocations in a row stopped with no byte moved`, caught);
      }
      if (invocation.signal?.aborted) {
        await deps.taskStore.release(taskId, { code: 'INTERRUPTED', message: 'the worker stopped during the copy; it will run again' }, now());
        log.warn('task interrupted', {});
        return false;
      }
      const error = asCrossdockError(thrown);
      const failure = { code: error.code, message: error.message };
      if (error.retryable && record.receiveCount < deps.maxReceiveCount) {
        const next = await delay(record, thrown, log);
        await deps.taskStore.release(taskId, failure, now(), next);
        log.warn('task will be retried', { code: error.code, error: error.message, receive_count: record.receiveCount, next_attempt_at: next?.toISOString() });
        return false;
      }
      await deps.taskStore.finish(taskId, { status: 'FAILED', error: failure, ...started(task), ...onLink, ...(error.retryable ? { deadLettered: true } : {}) }, now());
      log.error('task failed', { code: error.code, error: error.message, retryable: error.retryable });
      observe(taskId, log, after);
      // A retryable failure on its last receive goes on to the dead-letter queue.
      return !error.retryable;
    } finally {
      reporter.stop();
      ledger.close();
    }
  };

  /**
   * Records where the copy goes on and queues a fresh message for it, acknowledging this one:
   * a stop at the deadline is not a failed receive, so a copy needing many invocations never
   * reaches the dead-letter queue's receive count. Without a queue to send to, the message
   * itself comes back at once.
   */
  const pause = async (record: QueueRecord, task: Task, ledger: TransferLedger, meter: ProgressMeter, log: Logger): Promise<boolean> => {
    await ledger.settled();
    const stalled = meter.movedBytes > 0 ? 0 : (task.resume?.stalled ?? 0) + 1;
    const resume = { blobs: ledger.progress(), pauses: (task.resume?.pauses ?? 0) + 1, pausedAt: now().toISOString(), ...(stalled > 0 ? { stalled } : {}) };
    if (!(await deps.taskStore.pause(task.id, resume, meter.snapshot(), now()))) {
      log.warn('task not paused', { why: 'no longer running' });
      return true;
    }
    log.info('task paused', { blobs: resume.blobs.length, offsets: resume.blobs.map((b) => b.offset), pauses: resume.pauses });
    const sent = deps.queue ? await deps.queue.send([{ taskId: task.id, generation: task.generation }]) : { failed: [task.id] };
    if (sent.failed.length === 0) return true;
    if (deps.queue?.delay && record.receiptHandle) await deps.queue.delay(record.receiptHandle, 0).catch((error: unknown) => log.warn('message visibility not changed', { error: (error as Error).message }));
    return false;
  };

  /** Processes a batch; returns the message ids to hand back to the queue. */
  return async function handleBatch(records: QueueRecord[], invocation: WorkerInvocation): Promise<string[]> {
    const after: Promise<unknown>[] = [];
    const outcomes = await Promise.all(records.map(async (record) => {
      try {
        return (await processRecord(record, invocation, after)) ? undefined : record.messageId;
      } catch (error) {
        // The store itself failed: the message comes back and the task is tried again.
        deps.logger.error('record not processed', { message_id: record.messageId, error: (error as Error).message });
        return record.messageId;
      }
    }));
    if (after.length > 0) await untilDeadline(Promise.all(after), invocation.deadline - now().getTime());
    return outcomes.filter((id): id is string => id !== undefined);
  };
}

async function copyTask(deps: WorkerDeps, task: Task, deadline: number, signal: AbortSignal | undefined, ledger: TransferLedger, meter: ProgressMeter, pace?: (bytes: number) => Promise<void>): Promise<CopyResult> {
  const destination = formatReference(task.destination);
  const pushedAt = task.pushedAt ?? task.createdAt;
  return deps.engine.copyImage(task.source, task.destination, {
    overwrite: task.options.overwrite,
    referrers: task.options.referrers,
    deadline,
    ledger,
    onBytes: meter.onBytes,
    onBlob: meter.onBlob,
    ...(signal ? { signal } : {}),
    ...(pace ? { pace } : {}),
    ...(task.options.platforms.length > 0 ? { platforms: parsePlatforms(task.options.platforms) } : {}),
    beforeTagPush: async () =>
      (await deps.taskStore.advanceTagHead(destination, pushedAt, task.id))
        ? undefined
        : `a newer push of ${destination} was replicated already; this push (${pushedAt}) does not replace it`,
  });
}

/** The link on the record, and how long the task waited for its slot (0 when it never queued). */
function linkFields(admission: Admitted, task: Task): { link: Admitted['link']; queuedMs: number } {
  const queuedMs = task.queuedAt && task.startedAt ? Math.max(0, Date.parse(task.startedAt) - Date.parse(task.queuedAt)) : 0;
  return { link: admission.link, queuedMs };
}

function started(task: Task): { startedAt?: string } {
  return task.startedAt ? { startedAt: task.startedAt } : {};
}

function toTaskResult(result: CopyResult): TaskResult {
  return {
    sourceDigest: result.sourceDigest,
    digest: result.digest,
    digestPreserved: result.digestPreserved,
    bytes: result.bytes,
    manifests: result.manifests,
    blobs: { copied: result.blobs.copied, mounted: result.blobs.mounted, skipped: result.blobs.skipped },
    referrers: result.referrers.copied,
    ...(result.reason ? { reason: result.reason } : result.status === 'up-to-date' ? { reason: 'destination already up to date' } : {}),
  };
}

/** Waits for `work`, or at most `ms`. */
async function untilDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
