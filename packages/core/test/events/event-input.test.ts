import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ConnectionParams } from '../../src/connections/index.js';
import { payloadArgs } from '../../src/events/index.js';
import { connectionKey, parseEvent, parseSink, redactedParams } from '../../src/subscriptions/index.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('from message payload to args', () => {
  test('a JSON object is the args as its bytes', () => {
    const payload = Buffer.from('{"b": 1.10, "a":[1]}');
    assert.equal(text(payloadArgs(payload)), '{"b": 1.10, "a":[1]}');
  });

  test('other JSON is {"payload": it}, text that is not JSON {"payload": "<text>"}, other bytes base64', () => {
    assert.deepEqual(JSON.parse(text(payloadArgs(Buffer.from(' 42 ')))), { payload: 42 });
    assert.deepEqual(JSON.parse(text(payloadArgs(Buffer.from('[1,"x"]')))), { payload: [1, 'x'] });
    assert.deepEqual(JSON.parse(text(payloadArgs(Buffer.from('on')))), { payload: 'on' });
    assert.deepEqual(JSON.parse(text(payloadArgs(Buffer.from('')))), { payload: '' });
    assert.deepEqual(JSON.parse(text(payloadArgs(Buffer.from([0xff, 0x00])))), { payload_base64: '/wA=' });
  });
});

describe('event and sink params', () => {
  test('a port is a number or a numeric string; qos 0 to 2', () => {
    const params = new ConnectionParams('events[0]', 'mqtt', { port: '1883', qos: '2' });
    assert.equal(params.port('port'), 1883);
    assert.equal(params.qos('qos', 1), 2);
    assert.throws(
      () => new ConnectionParams('e', 'mqtt', { port: 70000 }).port('port'),
      /e\.params\.port must be a port number/,
    );
    assert.throws(
      () => new ConnectionParams('e', 'mqtt', { qos: 3 }).qos('qos', 1),
      /e\.params\.qos must be 0, 1 or 2/,
    );
  });

  test('MQTT topic filters: wildcards in their place; no $share of ones own', () => {
    const event = (topic: string) =>
      parseEvent('events[0]', { type: 'mqtt', params: { host: 'h', port: 1, topic } });
    for (const ok of ['a/+/c', 'a/#', '#', '+']) assert.doesNotThrow(() => event(ok), ok);
    for (const bad of ['a/#/c', 'a#', 'a+/b', '$share/g/a'])
      assert.throws(() => event(bad), /params\.topic/, bad);
  });

  test('NATS servers: a URL, a host:port, a list; sinks take no wildcard subject', () => {
    const nats = (servers: unknown) =>
      parseEvent('events[0]', { type: 'nats', params: { servers, subject: 'a.>' } });
    assert.doesNotThrow(() => nats('nats://127.0.0.1:4222'));
    assert.doesNotThrow(() => nats('127.0.0.1:4222,127.0.0.1:4223'));
    assert.doesNotThrow(() => nats(['nats://a:1', 'b:2']));
    assert.throws(() => nats('http://x'), /events\[0\]\.params\.servers must be a NATS server/);
    assert.throws(() => nats([]), /params\.servers/);
    assert.throws(
      () => parseSink('sinks[1]', { type: 'nats', params: { servers: 'a:1', subject: 'a.*' } }),
      /sinks\[1\]\.params\.subject must be a subject without wildcards/,
    );
  });

  test('on: success by default, or error, or all', () => {
    assert.equal(parseSink('s', { type: 'webhook', params: { url: 'http://x/' } }).on, 'success');
    assert.equal(parseSink('s', { type: 'webhook', params: { url: 'http://x/', on: 'all' } }).on, 'all');
  });

  test('the same type and params in another key order are the same entry', () => {
    assert.equal(
      connectionKey({ type: 'mqtt', params: { host: 'h', port: 1, topic: 't' } }),
      connectionKey({ type: 'mqtt', params: { topic: 't', port: 1, host: 'h' } }),
    );
    assert.notEqual(
      connectionKey({ type: 'mqtt', params: { topic: 't' } }),
      connectionKey({ type: 'mqtt', params: { topic: 'u' } }),
    );
  });

  test('what GET shows hides passwords, header values and URL passwords', () => {
    assert.deepEqual(
      redactedParams({
        password: 'p',
        headers: { authorization: 'x' },
        url: 'postgres://u:pw@h/db',
        table: 't',
      }),
      { password: '***', headers: { authorization: '***' }, url: 'postgres://u:***@h/db', table: 't' },
    );
  });
});
