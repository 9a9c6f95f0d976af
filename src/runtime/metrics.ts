import type { Aedes } from 'aedes';
import { Counter, collectDefaultMetrics, Gauge, type Histogram, Registry } from 'prom-client';
import type { BrokerStats, MqttAuth } from '../broker/index.js';
import type { Pipeline, TradeStore } from '../pipeline/index.js';
import { type LatencyHistogram, monotonicNow, type SourceStats, stateSecondsAt } from './source-stats.js';

/** What the metrics read; every value is read at scrape time, never pushed per trade. */
export interface MetricsInputs {
  version: string;
  pipeline: Pipeline;
  store: TradeStore;
  /** Live per-source counters, by source id. */
  sources: () => Iterable<[string, SourceStats]>;
  brokerStats: BrokerStats;
  authStats: MqttAuth['stats'];
  mqttClients: () => number;
  mqttSubscriptions: () => number;
  /** Times each connector was replaced after failing (the supervisor's count). */
  connectorRestarts: () => Readonly<Record<string, number>>;
}

export interface Metrics {
  readonly contentType: string;
  /** The Prometheus text exposition of this server's metrics and the process metrics. */
  scrape(): Promise<string>;
}

type Labels = Record<string, string>;
type Emit = (labels: Labels, value: number) => void;

/**
 * A counter whose values are copied from plain numbers when scraped: the data plane increments
 * numbers, and only a scrape pays for prom-client's label handling.
 */
function readCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: (emit: Emit) => void,
) {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      read((labels, value) => this.inc(labels, value));
    },
  });
}

function readGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: (emit: Emit) => void,
) {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      read((labels, value) => this.set(labels, value));
    },
  });
}

/**
 * A Prometheus histogram exposed from `LatencyHistogram`s (plain per-source buckets). prom-client's
 * own Histogram does a label lookup on every observe, which the per-trade path must not pay.
 */
class PlainHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => Iterable<[Labels, LatencyHistogram]>,
  ) {}

  /** The registry's `resetMetrics()` calls this; the counts belong to the data plane, so nothing. */
  reset(): void {}

  async get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const [labels, h] of this.read()) {
      let cumulative = 0;
      h.bounds.forEach((le, i) => {
        cumulative += h.counts[i] ?? 0;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: h.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: h.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

// Process metrics describe the process, not one server: one registry for the process, so servers
// started side by side (tests) do not each install event-loop and GC observers they cannot remove.
let shared: Registry | undefined;
function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}

/** The server's Prometheus metrics (names in README "HTTP"). */
export function createMetrics(inputs: MetricsInputs): Metrics {
  const registry = new Registry();
  const { pipeline, brokerStats, authStats } = inputs;
  const perSource = (read: (emit: Emit, id: string, s: SourceStats) => void) => (emit: Emit) => {
    for (const [id, s] of inputs.sources()) read(emit, id, s);
  };
  const single = (value: () => number) => (emit: Emit) => emit({}, value());

  readGauge(registry, 'dataserver_info', 'Always 1; the version is a label.', ['version'], (emit) =>
    emit({ version: inputs.version }, 1),
  );
  for (const [field, name, help] of [
    ['received', 'dataserver_trades_received_total', 'Trades parsed from upstream frames.'],
    ['published', 'dataserver_trades_published_total', 'Trades stored and published over MQTT.'],
    ['duplicates', 'dataserver_trades_deduplicated_total', 'Trades dropped as already seen (same tradeId).'],
  ] as const) {
    readCounter(registry, name, help, ['source', 'symbol'], (emit) => {
      for (const p of pipeline.pairStats()) emit({ source: p.source, symbol: p.symbol }, p[field]);
    });
  }
  readGauge(
    registry,
    'dataserver_store_trades',
    'Trades held in the recent-trades store.',
    ['source', 'symbol'],
    (emit) => {
      for (const [key, size] of Object.entries(inputs.store.sizes())) {
        const slash = key.indexOf('/');
        emit({ source: key.slice(0, slash), symbol: key.slice(slash + 1) }, size);
      }
    },
  );
  readCounter(
    registry,
    'dataserver_upstream_bad_frames_total',
    'Upstream frames skipped as not understood, by reason.',
    ['source', 'reason'],
    perSource((emit, source, s) => {
      for (const [reason, n] of Object.entries(s.badFrames)) emit({ source, reason }, n);
    }),
  );
  readCounter(
    registry,
    'dataserver_upstream_duplicate_frames_total',
    'Upstream frames whose sequence number was seen before on the connection.',
    ['source'],
    perSource((emit, source, s) => emit({ source }, s.duplicateFrames)),
  );
  readCounter(
    registry,
    'dataserver_upstream_connections_lost_total',
    'Open upstream connections that were lost (connection.lost).',
    ['source'],
    perSource((emit, source, s) => emit({ source }, s.connectionsLost)),
  );
  readCounter(
    registry,
    'dataserver_connector_restarts_total',
    'Connectors replaced by the supervisor after an uncaught error.',
    ['source'],
    (emit) => {
      for (const [source, n] of Object.entries(inputs.connectorRestarts())) emit({ source }, n);
    },
  );
  readCounter(
    registry,
    'dataserver_upstream_reconnects_total',
    'Reconnects scheduled (entries into the backoff state).',
    ['source'],
    perSource((emit, source, s) => emit({ source }, s.backoffs)),
  );
  readCounter(
    registry,
    'dataserver_connector_state_seconds_total',
    'Seconds each connector spent in each state.',
    ['source', 'state'],
    perSource((emit, source, s) => {
      for (const [state, seconds] of Object.entries(stateSecondsAt(s))) emit({ source, state }, seconds);
    }),
  );
  readGauge(
    registry,
    'dataserver_upstream_last_message_age_seconds',
    'Seconds since the last upstream frame of any kind (absent before the first).',
    ['source'],
    perSource((emit, source, s) => {
      if (s.lastMessageAt !== null) emit({ source }, (monotonicNow() - s.lastMessageAt) / 1000);
    }),
  );
  const latency = new PlainHistogramMetric(
    'dataserver_frame_to_publish_seconds',
    'Upstream frame receipt to trade handed to the broker, per published trade.',
    function* () {
      for (const [source, s] of inputs.sources()) yield [{ source }, s.latency] as [Labels, LatencyHistogram];
    },
  );
  // The registry takes any object with prom-client's metric shape; its type lists only its own classes.
  registry.registerMetric(latency as unknown as Histogram);

  readGauge(
    registry,
    'dataserver_mqtt_clients_connected',
    'MQTT clients connected.',
    [],
    single(inputs.mqttClients),
  );
  readGauge(
    registry,
    'dataserver_mqtt_subscriptions',
    'MQTT subscriptions (filters) held by connected clients.',
    [],
    single(inputs.mqttSubscriptions),
  );
  for (const [name, help, value] of [
    [
      'dataserver_mqtt_refused_publishes_total',
      'Client publishes dropped by the ACL.',
      () => brokerStats.refusedPublishes,
    ],
    [
      'dataserver_mqtt_refused_subscriptions_total',
      'Client subscriptions refused (ACL, entitlement, limit).',
      () => brokerStats.refusedSubscriptions,
    ],
    [
      'dataserver_mqtt_refused_connections_total',
      'Connections refused at the connection limit.',
      () => brokerStats.refusedConnections,
    ],
    [
      'dataserver_mqtt_refused_auth_total',
      'Connections refused for bad or missing credentials.',
      () => authStats.refusedAuth,
    ],
    [
      'dataserver_mqtt_oversized_packets_total',
      'Connections closed for an oversized MQTT packet.',
      () => brokerStats.oversizedPackets,
    ],
    [
      'dataserver_mqtt_slow_consumers_total',
      'Clients disconnected because their unsent backlog passed mqtt.limits.maxClientBacklogBytes.',
      () => brokerStats.slowConsumers,
    ],
    ['dataserver_rpc_requests_total', 'JSON-RPC requests received over MQTT.', () => brokerStats.rpcRequests],
  ] as const) {
    readCounter(registry, name, help, [], single(value));
  }

  const processRegistry = processMetrics();
  return {
    contentType: registry.contentType,
    async scrape() {
      const text = `${await registry.metrics()}\n${await processRegistry.metrics()}`;
      // prom-client writes NaN as `Nan` (e.g. event-loop lag before its first sample); the text
      // format spells it `NaN`, and stricter parsers than Prometheus' own insist.
      return text.replace(/ Nan$/gm, ' NaN');
    },
  };
}

/** Filters held by connected MQTT clients (read at scrape time, O(clients)). */
export function countSubscriptions(aedes: Aedes): number {
  // Aedes keeps clients by id and each one's subscriptions by filter; its type declarations omit both.
  const clients = (aedes as unknown as { clients: Record<string, { subscriptions?: object }> }).clients;
  let n = 0;
  for (const id in clients) n += Object.keys(clients[id]?.subscriptions ?? {}).length;
  return n;
}
