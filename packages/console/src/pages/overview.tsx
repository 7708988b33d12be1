import { useRef } from 'preact/hooks';

import type { Schemas } from '../api/client.js';
import { useConsole } from '../components/context.js';
import { ErrorNote } from '../components/error-note.js';
import { LineChart } from '../components/line-chart.js';
import type { LineChartProps } from '../components/line-chart.js';
import { usePoll } from '../components/use-poll.js';

/** How often the Workers and the activations are asked for again. */
export const OVERVIEW_POLL_MS = 3000;
/** How far back the charts go. */
const WINDOW_S = 5 * 60;
/** Width of one bar of the invocation rate, in seconds. */
const BUCKET_S = 10;
/** Most activations read per poll for the rates (the API's own page limit). */
const RATE_LIMIT = 1000;

type Worker = Schemas['Worker'];
interface Sample {
  t: number;
  workers: Worker[];
}

/** One chart's data: the times, then one series per Worker seen in the window. */
function perWorker(samples: Sample[], pick: (w: Worker) => number): Pick<LineChartProps, 'data' | 'series'> {
  const names = [...new Set(samples.flatMap((s) => s.workers.map((w) => w.name)))].sort();
  const times = samples.map((s) => s.t);
  const series = names.map((name) =>
    samples.map((s) => {
      const w = s.workers.find((x) => x.name === name);
      return w === undefined ? null : pick(w);
    }),
  );
  return { data: [times, ...series], series: names };
}

/** Invocations per second and the share that failed, per bucket of the window. */
function rates(activations: Schemas['ActivationSummary'][], now: number) {
  const buckets = Math.ceil(WINDOW_S / BUCKET_S);
  const first = Math.floor(now / BUCKET_S) * BUCKET_S - (buckets - 1) * BUCKET_S;
  const total = new Array<number>(buckets).fill(0);
  const failed = new Array<number>(buckets).fill(0);
  for (const a of activations) {
    const i = Math.floor((Date.parse(a.start) / 1000 - first) / BUCKET_S);
    if (i < 0 || i >= buckets) continue;
    total[i]! += 1;
    if (!['success', 'queued', 'running'].includes(a.status)) failed[i]! += 1;
  }
  const times = total.map((_, i) => first + i * BUCKET_S);
  return {
    perSecond: [times, total.map((n) => n / BUCKET_S)] as LineChartProps['data'],
    errorRate: [
      times,
      total.map((n, i) => (n === 0 ? null : Math.round((failed[i]! / n) * 1000) / 10)),
    ] as LineChartProps['data'],
    counted: activations.length,
  };
}

const mib = (n: number): string => `${Math.round(n)} MiB`;

/** Workers and their load as live charts, and the invocation rate of the last minutes. */
export function OverviewPage() {
  const { api } = useConsole();
  const samples = useRef<Sample[]>([]);

  const workers = usePoll(async () => {
    const answer = await api.get<Worker[]>('/v1/workers');
    const t = Date.now() / 1000;
    samples.current = [...samples.current.filter((s) => s.t > t - WINDOW_S), { t, workers: answer.data }];
    return answer.data;
  }, OVERVIEW_POLL_MS);

  const activity = usePoll(async () => {
    const now = Date.now();
    const answer = await api.get<Schemas['ActivationSummary'][]>('/v1/activations', {
      since: now - WINDOW_S * 1000,
      limit: RATE_LIMIT,
    });
    return { ...rates(answer.data, now / 1000), more: answer.body.next_cursor !== null };
  }, OVERVIEW_POLL_MS);

  const list = workers.value ?? [];
  const history = samples.current;
  const now = Date.now() / 1000;
  const range: [number, number] = [now - WINDOW_S, now];
  return (
    <>
      <section aria-labelledby="workers-title">
        <h2 id="workers-title">Workers</h2>
        <ErrorNote error={workers.error} />
        {workers.value !== undefined && list.length === 0 && (
          <p class="empty">
            No Worker is connected: start one with <code>fl worker</code>.
          </p>
        )}
        {list.length > 0 && (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Worker</th>
                  <th>Tag</th>
                  <th>Memory used / free</th>
                  <th>In flight / threads</th>
                  <th>CPU</th>
                  <th>Load (1, 5, 15 min)</th>
                  <th>Last report</th>
                </tr>
              </thead>
              <tbody>
                {list.map((w) => (
                  <tr key={w.name}>
                    <td>{w.name}</td>
                    <td>{w.tag}</td>
                    <td>
                      <meter min={0} max={w.memoryTotalMiB} value={w.memoryTotalMiB - w.memoryFreeMiB} />{' '}
                      {mib(w.memoryTotalMiB - w.memoryFreeMiB)} / {mib(w.memoryFreeMiB)}
                    </td>
                    <td>
                      {w.inFlight} / {w.threads}
                    </td>
                    <td>{w.cpuUse === null ? '–' : `${Math.round(w.cpuUse * 100)} %`}</td>
                    <td>
                      {w.loadAverage === null ? '–' : w.loadAverage.map((n) => n.toFixed(2)).join(', ')}
                    </td>
                    <td>{Math.round(w.secondsSinceReport)} s ago</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {history.length > 0 && (
          <div class="charts">
            <LineChart
              range={range}
              title="Memory used (MiB)"
              unit="MiB"
              {...perWorker(history, (w) => w.memoryTotalMiB - w.memoryFreeMiB)}
            />
            <LineChart
              range={range}
              title="Memory free (MiB)"
              unit="MiB"
              {...perWorker(history, (w) => w.memoryFreeMiB)}
            />
            <LineChart
              range={range}
              title="Invocations in flight"
              {...perWorker(history, (w) => w.inFlight)}
            />
            <LineChart range={range} title="Threads" {...perWorker(history, (w) => w.threads)} />
          </div>
        )}
      </section>
      <section aria-labelledby="rate-title">
        <h2 id="rate-title">Invocations, last {WINDOW_S / 60} minutes</h2>
        <ErrorNote error={activity.error} />
        {activity.value !== undefined && (
          <>
            <p class="hint">
              {activity.value.counted} activations in the window
              {activity.value.more
                ? ` (the newest ${RATE_LIMIT} only: the rates are those of the most recent ones)`
                : ''}
              , in bars of {BUCKET_S} s.
            </p>
            <div class="charts">
              <LineChart
                range={range}
                title="Invocations per second"
                series={['invocations/s']}
                data={activity.value.perSecond}
              />
              <LineChart
                range={range}
                title="Error rate (%)"
                unit="%"
                series={['failed']}
                data={activity.value.errorRate}
              />
            </div>
          </>
        )}
      </section>
    </>
  );
}
