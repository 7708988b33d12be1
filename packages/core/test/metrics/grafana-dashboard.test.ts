// The Grafana dashboard in deploy/grafana is built on the metric names the Core serves: every
// PromQL query it holds parses (Prometheus's own grammar), and every metric it selects is in a
// real Core's GET /metrics after a few invocations. See docs/architecture.md, "Observability".
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import { parser } from '@prometheus-io/lezer-promql';
import { ECHO_WAT, eventually, fillWat, wat } from '@funless/testing';

import { startInProcessPlatform } from '../support/in-process-platform.js';
import type { InProcessPlatform } from '../support/in-process-platform.js';
import { PrometheusText } from '../support/prometheus-text.js';

const DASHBOARD = new URL('../../../../../deploy/grafana/funless.json', import.meta.url);

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query?: string } }[] };
}

/** Every PromQL query of the dashboard, with where it is. */
function queriesOf(dashboard: Dashboard): { where: string; promql: string }[] {
  const queries: { where: string; promql: string }[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr) queries.push({ where: `panel "${panel.title}"`, promql: target.expr });
      }
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (query === undefined || query === 'prometheus') continue;
    // Grafana's variable query label_values(<PromQL selector>, <label>): the selector is PromQL.
    const selector = /^label_values\((.*),\s*\w+\)$/s.exec(query)?.[1];
    assert.ok(selector, `variable ${variable.name}: a query Grafana reads as label_values(selector, label)`);
    queries.push({ where: `variable ${variable.name}`, promql: selector });
  }
  return queries;
}

/**
 * The metric names a PromQL query selects, from Prometheus's own grammar (lezer-promql). Grafana's
 * interval variables become a duration first, as Grafana does before it sends the query; the
 * others only appear inside label-matcher strings, which the grammar takes as they are.
 */
function selectedMetrics(promql: string, where: string): string[] {
  const query = promql.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
  const tree = parser.parse(query);
  const names: string[] = [];
  const cursor = tree.cursor();
  do {
    assert.ok(!cursor.type.isError, `${where}: ${promql} does not parse at ${cursor.from}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') {
      names.push(query.slice(cursor.from, cursor.to));
    }
  } while (cursor.next());
  return names;
}

let platform: InProcessPlatform;
let exposed: PrometheusText;

before(async () => {
  platform = await startInProcessPlatform({ reportIntervalMs: 100 });
  await platform.upload('echo', await wat(ECHO_WAT));
  await platform.upload('failing', await wat(fillWat('__insert_error', 0x61, 4)));
  await platform.upload('huge', await wat(ECHO_WAT), { capacity: 4096 });
  assert.equal((await platform.invoke('echo')).status, 200);
  assert.equal((await platform.invoke('failing')).status, 422);
  assert.equal((await platform.invoke('huge')).status, 503);
  await eventually(() => platform.cluster.workers()[0]?.cpuUse !== null, 'a report with the CPU use');
  const res = await platform.metrics();
  assert.equal(res.status, 200, res.text);
  exposed = new PrometheusText(res.text);
});

after(async () => {
  await platform?.close();
});

test('every metric the Grafana dashboard queries is in GET /metrics', async () => {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
  const queries = queriesOf(dashboard);
  assert.ok(queries.length > 20, `${queries.length} queries`);
  const names = exposed.names();
  const used = new Set<string>();
  for (const { where, promql } of queries) {
    const selected = selectedMetrics(promql, where);
    assert.ok(selected.length > 0, `${where}: ${promql} selects no metric`);
    for (const name of selected) {
      assert.ok(names.has(name), `${where} queries ${name}, which GET /metrics does not serve`);
      used.add(name.replace(/_(bucket|sum|count)$/, ''));
    }
  }
  // And the other way: the dashboard shows every metric of the Core's own.
  const unused = [...exposed.families.keys()].filter((n) => n.startsWith('fl_') && !used.has(n));
  assert.deepEqual(unused, [], 'Core metrics the dashboard does not show');
});

test('a query naming a metric the Core does not serve is caught', () => {
  const names = exposed.names();
  assert.deepEqual(selectedMetrics('sum(rate(fl_invocations_totl[$__rate_interval]))', 'a typo'), [
    'fl_invocations_totl',
  ]);
  assert.ok(!names.has('fl_invocations_totl'));
  assert.throws(() => selectedMetrics('sum(rate(fl_invocations_total[5m])', 'unbalanced'), /does not parse/);
});
