// Events benchmark (docs/events.md, "Performance"): MQTT message -> function -> MQTT sink on the
// one-process platform (`fl up`, Core and Worker in one process, the function `hello`), against a
// floor measured in the same run: a bare mqtt.js client in its own process that receives each
// message and republishes it. Both go through one private Mosquitto on a free port.
//  - throughput: MESSAGES messages published at once (QoS 1), until the last result arrives;
//  - latency: one message at a time, publish to result, p50 over SEQUENTIAL messages.
// Target: throughput >= 50% of the floor's, p50 <= the floor's + 5 ms.
// Usage: npm run bench -- events   (EVENTS_MESSAGES=2000 EVENTS_SEQUENTIAL=300 EVENTS_ROUNDS=3)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import mqtt from 'mqtt';

import { ADMIN, api, dist, fmt, median, nodeFlags, root, startProcess } from './support.mjs';

const { watFixture } = await import(dist('testing', 'src/index.js'));

const MESSAGES = Number(process.env.EVENTS_MESSAGES ?? 2000);
const SEQUENTIAL = Number(process.env.EVENTS_SEQUENTIAL ?? 300);
const ROUNDS = Number(process.env.EVENTS_ROUNDS ?? 3);
const NODE_FLAGS = nodeFlags(process.env.EVENTS_NODE_FLAGS);
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-events-'));
const children = [];
const PAYLOAD = JSON.stringify({ name: 'Bob' });

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The floor: receive on `in`, republish the payload to `out`, QoS 1 both ways, on two connections
// as the platform has (its event subscription and its sink).
const FLOOR = `
import mqtt from ${JSON.stringify(join(root, 'node_modules/mqtt/build/index.js'))};
const options = { host: '127.0.0.1', port: Number(process.env.PORT) };
const [input, output] = await Promise.all([mqtt.connectAsync({ ...options }), mqtt.connectAsync({ ...options })]);
input.on('message', (topic, payload) => output.publish('floor/out', payload, { qos: 1 }));
await input.subscribeAsync('floor/in', { qos: 1 });
console.log('FLOOR ready');
`;

/** Sends `count` messages to `input` at once; resolves to messages per second until all `output`s arrived. */
async function throughput(port, input, output, count) {
  const listener = await mqtt.connectAsync({ host: '127.0.0.1', port });
  await listener.subscribeAsync(output, { qos: 1 });
  let got = 0;
  let resolveAll;
  const all = new Promise((resolve) => (resolveAll = resolve));
  listener.on('message', () => {
    if (++got === count) resolveAll();
  });
  const publisher = await mqtt.connectAsync({ host: '127.0.0.1', port });
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, () => publisher.publishAsync(input, PAYLOAD, { qos: 1 })));
  const timeout = setTimeout(() => resolveAll(), 120_000);
  await all;
  clearTimeout(timeout);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([listener.endAsync(), publisher.endAsync()]);
  if (got < count) throw new Error(`${output}: ${got} of ${count} results within 120 s`);
  return count / seconds;
}

/** One message at a time: the p50 of publish-to-result, in ms. */
async function latency(port, input, output, count) {
  const listener = await mqtt.connectAsync({ host: '127.0.0.1', port });
  await listener.subscribeAsync(output, { qos: 1 });
  const publisher = await mqtt.connectAsync({ host: '127.0.0.1', port });
  const times = [];
  for (let i = 0; i < count; i++) {
    const arrived = new Promise((resolve) => listener.once('message', resolve));
    const started = performance.now();
    publisher.publish(input, PAYLOAD, { qos: 1 });
    await arrived;
    times.push(performance.now() - started);
  }
  await Promise.all([listener.endAsync(), publisher.endAsync()]);
  return median(times);
}

try {
  const port = await freePort();
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n`,
  );
  const broker = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  children.push(broker);
  for (let i = 0; i < 100; i++) {
    try {
      await (await mqtt.connectAsync({ host: '127.0.0.1', port, reconnectPeriod: 0 })).endAsync();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const floorFile = join(dir, 'floor.mjs');
  writeFileSync(floorFile, FLOOR);
  await startProcess(children, [floorFile], { ...process.env, PORT: String(port) }, /FLOOR ready/);

  const env = Object.fromEntries(
    // FL_ variables stay out, except the runtime's tuning knob, to compare settings.
    Object.entries(process.env).filter(([k]) => !k.startsWith('FL_') || k === 'FL_WORKER_IDLE_SPIN_US'),
  );
  const { match } = await startProcess(
    children,
    [...NODE_FLAGS, dist('cli', 'src/bin.js'), 'up'],
    {
      ...env,
      FL_LOG_LEVEL: 'warn',
      FL_DISCOVERY: 'off',
      FL_PORT: '0',
      FL_DATA_DIR: join(dir, 'up'),
      FL_ADMIN_TOKEN: ADMIN,
    },
    /FunLess is up at (http:\/\/[\d.]+:\d+)/,
  );
  const url = match[1];
  const form = new FormData();
  form.set('name', 'hello');
  form.set('code', new Blob([await watFixture('hello')]), 'hello.wasm');
  form.set('events', JSON.stringify([{ type: 'mqtt', params: { host: '127.0.0.1', port, topic: 'fl/in' } }]));
  form.set('sinks', JSON.stringify([{ type: 'mqtt', params: { host: '127.0.0.1', port, topic: 'fl/out' } }]));
  const created = await api(`${url}/v1/fn/_`, { method: 'POST', body: form });
  if (created.data.events_metadata.failed + created.data.sinks_metadata.failed > 0) {
    throw new Error(`events or sinks did not connect: ${JSON.stringify(created.data)}`);
  }

  // Warm both paths (JIT, connections), then alternate them in rounds.
  await throughput(port, 'floor/in', 'floor/out', 500);
  await throughput(port, 'fl/in', 'fl/out', 500);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push({
      floorRate: await throughput(port, 'floor/in', 'floor/out', MESSAGES),
      flRate: await throughput(port, 'fl/in', 'fl/out', MESSAGES),
      floorP50: await latency(port, 'floor/in', 'floor/out', SEQUENTIAL),
      flP50: await latency(port, 'fl/in', 'fl/out', SEQUENTIAL),
    });
  }
  const pick = (key) => median(rounds.map((r) => r[key]));
  const ratio = median(rounds.map((r) => r.flRate / r.floorRate));
  const extra = median(rounds.map((r) => r.flP50 - r.floorP50));
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  console.log(
    `MQTT -> function -> MQTT sink (${MESSAGES} messages at once, ${SEQUENTIAL} one at a time, ${ROUNDS} rounds, medians)`,
  );
  console.log(
    `  floor (bare mqtt.js relay): ${fmt(pick('floorRate'), 0)} msg/s, p50 ${fmt(pick('floorP50'))} ms`,
  );
  console.log(
    `  fl up (event -> hello -> sink): ${fmt(pick('flRate'), 0)} msg/s, p50 ${fmt(pick('flP50'))} ms`,
  );
  console.log(`  throughput fl/floor: ${fmt(ratio * 100, 1)}% (target >= 50%: ${verdict(ratio >= 0.5)})`);
  console.log(`  p50 over the floor: ${fmt(extra)} ms (target <= 5 ms: ${verdict(extra <= 5)})`);
  const activations = await api(`${url}/v1/activations?function=hello&limit=1`);
  console.log(
    `  last activation: trigger ${activations.data[0]?.trigger}, source ${activations.data[0]?.source}`,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
