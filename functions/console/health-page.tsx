/** Health at a glance: queue depth, the oldest waiting task, failures by code in the last 24 hours. */
import { formatAge, imageName } from './format.ts';
import type { Health } from './health.ts';
import { Badge } from './status.tsx';

export function HealthPage(props: { health: Health; now: Date }) {
  const { health: h, now } = props;
  const waiting = h.oldestWaiting;
  return (
    <section id="health" data-live="on" aria-live="polite">
      <div class="cards">
        <div class="card">Queue: waiting<b>{h.queue ? h.queue.visible : '—'}</b>{h.queue ? `${h.queue.inFlight} in flight, ${h.queue.delayed} delayed` : h.queueProblem}</div>
        <div class="card">Oldest waiting task<b>{waiting ? formatAge(waiting.createdAt, now) : 'none'}</b>
          {waiting && <a class="ref" href={`/ui/tasks/${waiting.id}`}>{imageName(waiting.source)}</a>}</div>
        <div class="card">Failures, last 24 h<b>{h.failuresTruncated ? `≥ ${h.failuresTotal}` : h.failuresTotal}</b>
          {h.failuresTotal === 0 ? <Badge status="ok" label="no failures" /> : <Badge status="bad" label="failures" />}</div>
      </div>
      <h2>Failures by code, last 24 hours</h2>
      {h.failuresByCode.length === 0 ? <p class="muted">No task failed in the last 24 hours.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Code</th><th>Tasks</th><th>Latest</th></tr></thead>
            <tbody>
              {h.failuresByCode.map((f) => (
                <tr>
                  <td class="ref"><a href={`/ui/tasks?status=FAILED`}>{f.code}</a></td>
                  <td>{f.count}</td>
                  <td><a href={`/ui/tasks/${f.latest.id}`} class="ref">{f.latest.error?.message ?? imageName(f.latest.source)}</a></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
