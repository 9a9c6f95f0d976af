import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RecordingClient } from '../helpers/mqtt.js';
import { type HttpRig, startRig } from './harness.js';

// Prometheus text format 0.0.4: `name{label="value",...} value [timestamp]`.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|NaN|[+-]Inf)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*)?,?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses an exposition strictly: throws on any line out of format or any sample outside a family. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  expect(lines.at(-1)).toBe('');
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') continue;
    const help = HELP.exec(line);
    if (help) {
      expect(helps.has(help[1]!), `HELP twice, ${where}`).toBe(false);
      helps.add(help[1]!);
      continue;
    }
    const type = TYPE.exec(line);
    if (type) {
      expect(types.has(type[1]!), `TYPE twice, ${where}`).toBe(false);
      expect(helps.has(type[1]!), `TYPE before HELP, ${where}`).toBe(true);
      types.set(type[1]!, type[2]!);
      continue;
    }
    expect(line.startsWith('#'), `unknown comment, ${where}`).toBe(false);
    const m = SAMPLE.exec(line);
    expect(m, `not a sample, ${where}`).not.toBeNull();
    const name = m![1]!;
    const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((f) => types.has(f));
    expect(family, `sample without HELP/TYPE, ${where}`).toBeDefined();
    if (family !== name) expect(['histogram', 'summary']).toContain(types.get(family!));
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k!] = v!;
    }
    const raw = m![3]!;
    samples.push({
      name,
      labels,
      value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw),
    });
  }
  for (const name of helps) expect(types.has(name), `HELP without TYPE: ${name}`).toBe(true);
  return { types, samples };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('GET /metrics', () => {
  let rig: HttpRig;
  let client: RecordingClient;
  const scrape = async () => {
    const res = await rig.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };

  beforeAll(async () => {
    rig = await startRig();
    client = await RecordingClient.connect(rig.mqttUrl);
    await client.subscribe('trades/blockchain/BTC-USD');
    await client.waitForCount((m) => m.topic.startsWith('trades/'), 3, 'trades');
  });
  afterAll(async () => {
    await client?.close();
    await rig?.close();
  });

  it('is strict Prometheus text with every family the server promises', async () => {
    const { types } = await scrape();
    const expected: Record<string, string> = {
      dataserver_info: 'gauge',
      dataserver_trades_received_total: 'counter',
      dataserver_trades_published_total: 'counter',
      dataserver_trades_deduplicated_total: 'counter',
      dataserver_store_trades: 'gauge',
      dataserver_upstream_bad_frames_total: 'counter',
      dataserver_upstream_duplicate_frames_total: 'counter',
      dataserver_upstream_connections_lost_total: 'counter',
      dataserver_upstream_reconnects_total: 'counter',
      dataserver_connector_state_seconds_total: 'counter',
      dataserver_upstream_last_message_age_seconds: 'gauge',
      dataserver_frame_to_publish_seconds: 'histogram',
      dataserver_mqtt_clients_connected: 'gauge',
      dataserver_mqtt_subscriptions: 'gauge',
      dataserver_mqtt_refused_publishes_total: 'counter',
      dataserver_mqtt_refused_subscriptions_total: 'counter',
      dataserver_mqtt_refused_connections_total: 'counter',
      dataserver_mqtt_refused_auth_total: 'counter',
      dataserver_mqtt_oversized_packets_total: 'counter',
      dataserver_mqtt_slow_consumers_total: 'counter',
      dataserver_rpc_requests_total: 'counter',
      process_cpu_user_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) expect(types.get(name), name).toBe(type);
  });

  it('trade counters, latency and last-message age move while trades flow', async () => {
    const pair = { source: 'blockchain', symbol: 'BTC-USD' };
    const first = (await scrape()).samples;
    const published = value(first, 'dataserver_trades_published_total', pair)!;
    expect(published).toBeGreaterThanOrEqual(3);
    expect(value(first, 'dataserver_trades_received_total', pair)).toBeGreaterThanOrEqual(published);
    expect(value(first, 'dataserver_trades_deduplicated_total', pair)).toBe(0);

    // Counted from the first message: trades published before the first scrape may still be on the
    // wire, so only a trade beyond `published` proves the counter had to move.
    const pairTopic = `trades/${pair.source}/${pair.symbol}`;
    await client.waitForCount((m) => m.topic === pairTopic, published + 1, 'a trade after the scrape', 0);
    const later = (await scrape()).samples;
    expect(value(later, 'dataserver_trades_published_total', pair)).toBeGreaterThan(published);
    expect(value(later, 'dataserver_store_trades', pair)).toBeGreaterThan(0);

    // Histogram: cumulative buckets, +Inf equal to _count, which counts published trades.
    const buckets = later.filter((s) => s.name === 'dataserver_frame_to_publish_seconds_bucket');
    const counts = buckets.map((b) => b.value);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(buckets.at(-1)?.labels).toEqual({ source: 'blockchain', le: '+Inf' });
    const count = value(later, 'dataserver_frame_to_publish_seconds_count', { source: 'blockchain' })!;
    expect(buckets.at(-1)?.value).toBe(count);
    expect(count).toBeGreaterThan(published);
    expect(value(later, 'dataserver_frame_to_publish_seconds_sum', { source: 'blockchain' })).toBeGreaterThan(
      0,
    );

    const age = value(later, 'dataserver_upstream_last_message_age_seconds', { source: 'blockchain' })!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(5);
    const subscribed = { source: 'blockchain', state: 'subscribed' };
    expect(value(later, 'dataserver_connector_state_seconds_total', subscribed)).toBeGreaterThan(0);
    expect(value(later, 'dataserver_mqtt_clients_connected')).toBe(1);
    expect(value(later, 'dataserver_mqtt_subscriptions')).toBe(1);
  });

  it('counts bad frames by reason, refused publishes and RPC requests', async () => {
    rig.sim.fault({ kind: 'garbage', count: 3 });
    await client.client.publishAsync('trades/blockchain/BTC-USD', 'forged');
    const rpc = await RecordingClient.connect(rig.mqttUrl, { clientId: 'metrics-rpc' });
    try {
      await rpc.subscribe('rpc/metrics-rpc/response');
      await rpc.client.publishAsync(
        'rpc/metrics-rpc/request',
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sources.list', params: {} }),
      );
      await rpc.waitFor((m) => m.topic === 'rpc/metrics-rpc/response', 'rpc response');
    } finally {
      await rpc.close();
    }
    await vi.waitFor(
      async () => {
        const { samples } = await scrape();
        const bad = samples.filter((s) => s.name === 'dataserver_upstream_bad_frames_total');
        expect(bad.reduce((n, s) => n + s.value, 0)).toBeGreaterThanOrEqual(3);
        for (const s of bad) expect(s.labels).toEqual({ source: 'blockchain', reason: expect.any(String) });
        expect(value(samples, 'dataserver_mqtt_refused_publishes_total')).toBe(1);
        expect(value(samples, 'dataserver_rpc_requests_total')).toBe(1);
      },
      { timeout: 5000, interval: 20 },
    );
  });

  it('counts lost connections, reconnects and time in backoff per source', async () => {
    const before = (await scrape()).samples;
    const lost = value(before, 'dataserver_upstream_connections_lost_total', { source: 'blockchain' }) ?? 0;
    rig.sim.fault({ kind: 'abrupt' });
    await vi.waitFor(
      async () => {
        const { samples } = await scrape();
        const source = { source: 'blockchain' };
        expect(value(samples, 'dataserver_upstream_connections_lost_total', source)).toBe(lost + 1);
        expect(value(samples, 'dataserver_upstream_reconnects_total', source)).toBeGreaterThanOrEqual(1);
        expect(
          value(samples, 'dataserver_connector_state_seconds_total', { ...source, state: 'backoff' }),
        ).toBeGreaterThan(0);
        expect(rig.server.statuses().blockchain?.state).toBe('subscribed');
      },
      { timeout: 5000, interval: 20 },
    );
  });
});
