import type { Schemas } from '../api/client.js';

/** Whether an activation is still to finish. */
export const isPending = (status: string): boolean => status === 'queued' || status === 'running';

/** How a guest's result reads: its JSON, indented. */
export const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

/** One activation record: status, times, result or error, and the guest's log lines. */
export function ActivationView({ activation: a }: { activation: Schemas['Activation'] }) {
  return (
    <div class="activation">
      <dl class="facts">
        <dt>Activation</dt>
        <dd class="hash">{a.activation_id}</dd>
        <dt>Function</dt>
        <dd>
          {a.module}/{a.function}
        </dd>
        <dt>Status</dt>
        <dd>
          <span
            class={`status status-${a.status === 'success' ? 'ok' : isPending(a.status) ? 'pending' : 'failed'}`}
          >
            {a.status}
          </span>
        </dd>
        <dt>Started</dt>
        <dd>{new Date(a.start).toLocaleString()}</dd>
        <dt>Duration</dt>
        <dd>
          {a.duration_ms === null ? '–' : `${a.duration_ms.toFixed(3)} ms in the guest`}
          {a.total_ms === null ? '' : `, ${a.total_ms.toFixed(3)} ms in the platform`}
        </dd>
        <dt>Worker</dt>
        <dd>{a.worker ?? '–'}</dd>
        <dt>Trigger</dt>
        <dd>
          {a.trigger}, by {a.subject ?? '–'}
        </dd>
      </dl>
      {a.error !== null && (
        <>
          <h3>Error</h3>
          <pre class="error-text">{a.error}</pre>
        </>
      )}
      {a.result !== null && (
        <>
          <h3>Result{a.result_truncated ? ' (cut at 64 KiB)' : ''}</h3>
          <pre class="result">{pretty(a.result)}</pre>
        </>
      )}
      <h3>Logs{a.logs_truncated ? ' (cut at 64 KiB)' : ''}</h3>
      {a.logs.length === 0 ? (
        <p class="empty">No log lines.</p>
      ) : (
        <pre class="logs">
          {a.logs.map((line, i) => (
            <div key={i} class={`log log-${line.stream}`}>
              <span class="stream">{line.stream}</span> {line.text}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}
