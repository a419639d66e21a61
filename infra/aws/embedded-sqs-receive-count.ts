/**
 * local-aws-sqs counts a ChangeMessageVisibility as a receive: it raises the message's
 * ApproximateReceiveCount each time its visibility changes, so a worker that backs off by hiding
 * the message reaches the queue's maxReceiveCount (and the DLQ) in about half the attempts SQS
 * allows (issue 11). On SQS only ReceiveMessage counts.
 *
 * The library keeps its queues private; what it does expose is each queue object, whose class
 * builds every record through a static `createRecord`. Once per process this patches that class:
 * each new record's ApproximateReceiveCount becomes an accessor that ignores writes made while a
 * visibility change runs (the library's change is synchronous), and `changeVisibility` marks that
 * window. Receives, deletes, redrive and the DLQ move keep the library's own code.
 */

interface RecordAttributes { ApproximateReceiveCount: string }
type CreateRecord = (input: unknown) => [{ attributes: RecordAttributes }, unknown];
interface QueueClass {
  createRecord: CreateRecord;
  prototype: { changeVisibility: (receiptHandle: string, timeout: unknown) => boolean };
}

const patched = new WeakSet<object>();
let changingVisibility = false;

/** Patches the class of `queue` (a local-aws-sqs queue object) once; later calls do nothing. */
export function countOnlyReceives(queue: object): void {
  const queueClass = (queue as { constructor: unknown }).constructor as QueueClass;
  if (patched.has(queueClass)) return;
  if (typeof queueClass.createRecord !== 'function' || typeof queueClass.prototype.changeVisibility !== 'function') {
    throw new Error('local-aws-sqs changed shape: its queue class has no createRecord or changeVisibility to patch');
  }
  patched.add(queueClass);

  const createRecord = queueClass.createRecord;
  queueClass.createRecord = function (this: unknown, input) {
    const created = createRecord.call(this, input);
    const attributes = created[0].attributes;
    let count = attributes.ApproximateReceiveCount;
    Object.defineProperty(attributes, 'ApproximateReceiveCount', {
      enumerable: true,
      configurable: true,
      get: () => count,
      set: (value: string) => {
        if (!changingVisibility) count = value;
      },
    });
    return created;
  };

  const changeVisibility = queueClass.prototype.changeVisibility;
  queueClass.prototype.changeVisibility = function (this: unknown, receiptHandle, timeout) {
    changingVisibility = true;
    try {
      return changeVisibility.call(this, receiptHandle, timeout);
    } finally {
      changingVisibility = false;
    }
  };
}
