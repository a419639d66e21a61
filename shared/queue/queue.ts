/** The work queue between producers (webhook, API, schedules) and the worker; `SqsQueue` is the adapter. */
import { z } from 'zod';

export const TaskMessage = z.strictObject({ taskId: z.string().regex(/^[0-9a-f]{32}$/) });
export type TaskMessage = z.infer<typeof TaskMessage>;

export interface Queue {
  /** Sends messages; resolves with the task ids whose message could not be sent. */
  send(messages: TaskMessage[]): Promise<{ failed: string[] }>;
}
