/**
 * Deciding who hears about what, and telling them. The worker calls `taskFinished` after a task's
 * record is written (its observer seam); when a target wants to hear of the task's execution, that
 * also schedules the execution's finish check, which calls `executionFinished` with the roll-up
 * once the execution has finished (execution-check.ts). Each notification is claimed in the ledger per
 * target before its first attempt, so a redelivered message or a repeated roll-up sends nothing
 * again. Delivery failures are logged, never thrown: a notification never fails a task.
 */
import type { Logger } from '../log.ts';
import type { NotificationPolicy, NotifyOn } from '../rules/rule-notifications.ts';
import type { Task } from '../tasks/task.ts';
import type { ExecutionWatch } from './execution-watch.ts';
import type { NotificationLedger } from './ledger.ts';
import { executionNotification, taskNotification, type ExecutionRollup, type Notification } from './payload.ts';
import type { NotificationsConfig } from './target.ts';
import { EVENT_HEADER, NOTIFICATION_ID_HEADER, type NotificationDelivery } from './delivery.ts';

export interface NotifierDeps {
  config: NotificationsConfig;
  /** A rule's own policies (its `notifications`), or none when the rule is gone. */
  rulePolicies: (ruleId: string) => Promise<readonly NotificationPolicy[]>;
  ledger: NotificationLedger;
  /** A webhook delivery alone serves configurations that declare only webhook targets. */
  delivery: Pick<NotificationDelivery, 'deliver'>;
  logger: Logger;
  now?: () => Date;
  /**
   * Told of a finished task whose execution a target wants to hear about (an `execution`
   * policy): it schedules the check that sends `execution.finished` (execution-check.ts).
   */
  watch?: Pick<ExecutionWatch, 'schedule'>;
}

export interface Notifier {
  taskFinished(task: Task): Promise<void>;
  executionFinished(rollup: ExecutionRollup): Promise<void>;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const now = deps.now ?? (() => new Date());

  const policiesOf = async (ruleId: string | undefined): Promise<NotificationPolicy[]> => [...deps.config.global, ...(ruleId ? await deps.rulePolicies(ruleId) : [])];
  /** Target names of the policies that fire for `on`. */
  const targetsOf = (policies: readonly NotificationPolicy[], fires: (on: NotifyOn) => boolean): string[] =>
    [...new Set(policies.filter((p) => fires(p.on)).flatMap((p) => p.targets))];

  const send = async (notification: Notification, targetNames: string[], fields: Record<string, unknown>) => {
    const body = JSON.stringify(notification);
    await Promise.all(targetNames.map(async (name) => {
      const target = deps.config.targets[name];
      const log = deps.logger.child({ ...fields, notification_id: notification.id, target: name });
      if (!target) {
        // A rule kept a name the operator has since removed from the configuration.
        log.warn('notification target not declared', {});
        return;
      }
      try {
        if (!(await deps.ledger.claim(notification.id, name, now()))) {
          log.info('notification already sent', {});
          return;
        }
        const attempts = await deps.delivery.deliver(target, body, { [EVENT_HEADER]: notification.event, [NOTIFICATION_ID_HEADER]: notification.id });
        log.info('notification sent', { event: notification.event, attempts });
      } catch (error) {
        log.error('notification not sent', { event: notification.event, error: (error as Error).message, code: (error as { code?: string }).code });
      }
    }));
  };

  return {
    async taskFinished(task) {
      if (task.status !== 'SUCCEEDED' && task.status !== 'SKIPPED' && task.status !== 'FAILED') return;
      let policies: NotificationPolicy[];
      try {
        policies = await policiesOf(task.ruleId);
        const failed = task.status === 'FAILED';
        const targets = targetsOf(policies, (on) => on === 'task' || (on === 'failure' && failed));
        if (targets.length > 0) await send(taskNotification(task), targets, { task_id: task.id });
      } catch (error) {
        deps.logger.error('notification not sent', { task_id: task.id, error: (error as Error).message });
        return;
      }
      if (!deps.watch || !task.executionId) return;
      try {
        // Only executions someone wants to hear about cost their tasks anything more.
        if (targetsOf(policies, (on) => on === 'execution').length > 0) await deps.watch.schedule(task.executionId);
      } catch (error) {
        deps.logger.error('execution check not scheduled', { task_id: task.id, execution_id: task.executionId, error: (error as Error).message });
      }
    },
    async executionFinished(rollup) {
      try {
        const ruleIds = [...new Set([...(rollup.ruleId ? [rollup.ruleId] : []), ...(rollup.ruleIds ?? [])])];
        const policies = [...deps.config.global, ...(await Promise.all(ruleIds.map((id) => deps.rulePolicies(id)))).flat()];
        const targets = targetsOf(policies, (on) => on === 'execution');
        if (targets.length > 0) await send(executionNotification(rollup), targets, { execution_id: rollup.id });
      } catch (error) {
        deps.logger.error('notification not sent', { execution_id: rollup.id, error: (error as Error).message });
      }
    },
  };
}
