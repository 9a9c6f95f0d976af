/**
 * The benchmark's server process (forked by run.ts, talks over IPC): `dataserver <feederUrl>` runs
 * DataServer against the feeder process, `aedes <count>` runs a bare Aedes that publishes `count`
 * pre-serialized trades (`go` sends the next n of them), `memory <count>` measures heap bytes per stored trade.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';
import { pino } from 'pino';
import { type Trade, tradeToJson } from '../../src/domain/index.js';
import { TradeStore } from '../../src/pipeline/index.js';
import { createServer } from '../../src/runtime/index.js';
import { testConfig } from '../helpers/server.js';
import { SYMBOLS, symbolOf, tradeBody } from './frames.js';
import { cpuUs, nowUs, onCommand, reply } from './proc.js';

const [mode, arg = '', extra] = process.argv.slice(2);
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

/** `backlogBytes`: mqtt.limits.maxClientBacklogBytes (default: the server's own default). */
async function dataserver(url: string, backlogBytes: number | undefined): Promise<void> {
  // Always on, so trades flow without an MQTT holder; never stale during a long run.
  const base = testConfig(url, { symbols: [...SYMBOLS], alwaysOn: true, staleAfterMs: 120_000 });
  const config =
    backlogBytes === undefined
      ? base
      : {
          ...base,
          mqtt: { ...base.mqtt, limits: { ...base.mqtt.limits, maxClientBacklogBytes: backlogBytes } },
        };
  const server = await createServer(config, pino({ level: 'silent' }));
  // The slow-consumer scenario's subscriber: when (and whether) the server let it go.
  server.broker.aedes.on('clientDisconnect', (client) => {
    if (client.id === 'bench-slow') reply({ type: 'disconnected', clientId: client.id, atUs: nowUs() });
  });
  onCommand((c) => {
    if (c.type === 'rss') reply({ type: 'rss', mb: rssMb() });
    if (c.type === 'cpu') reply({ type: 'cpu', us: cpuUs() });
    if (c.type === 'stop') void server.stop().finally(() => process.exit(0));
  });
  reply({ type: 'ready', port: server.broker.port, httpPort: server.httpPort });
}

async function bareAedes(count: number): Promise<void> {
  const aedes = await Aedes.createBroker();
  const net = createNetServer((socket) => aedes.handle(socket));
  net.listen(0, '127.0.0.1');
  await once(net, 'listening');
  const receivedAt = new Date().toISOString();
  const packets: AedesPublishPacket[] = [];
  for (let i = 0; i < count; i++) {
    const symbol = symbolOf(i);
    const trade: Trade = {
      source: 'blockchain',
      symbol,
      tradeId: `${i}`,
      price: 50_000 + (i % 1000),
      qty: 0.0125,
      side: i % 2 ? 'buy' : 'sell',
      timestamp: receivedAt,
      seqnum: i + 3,
      receivedAt,
    };
    packets.push({
      cmd: 'publish',
      topic: `trades/blockchain/${symbol}`,
      payload: Buffer.from(tradeToJson(trade)),
      qos: 0,
      retain: false,
      dup: false,
    } as AedesPublishPacket);
  }
  // Outstanding publishes are capped through the callback (mqemitter's queue is unbounded);
  // refilling on setImmediate keeps a synchronous callback from growing the stack.
  let sent = 0;
  /** `go` publishes up to here (the next `count` packets of its command). */
  let until = 0;
  let outstanding = 0;
  let scheduled = false;
  const pump = (): void => {
    scheduled = false;
    while (sent < until && outstanding < 1000) {
      outstanding++;
      aedes.publish(packets[sent++] as AedesPublishPacket, done);
    }
  };
  const done = (): void => {
    outstanding--;
    if (!scheduled && sent < until) {
      scheduled = true;
      setImmediate(pump);
    }
  };
  onCommand((c) => {
    if (c.type === 'go') {
      until = Math.min(count, sent + c.count);
      pump();
    }
    if (c.type === 'cpu') reply({ type: 'cpu', us: cpuUs() });
    if (c.type === 'stop') {
      net.close();
      aedes.close(() => process.exit(0));
    }
  });
  reply({ type: 'ready', port: (net.address() as AddressInfo).port });
}

function memory(count: number): void {
  onCommand((c) => {
    if (c.type === 'stop') process.exit(0);
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    reply({ type: 'memory', bytesPerTrade: null, note: 'no --expose-gc' });
    return;
  }
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new TradeStore(count);
  const timestamp = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    // Parsed from a frame like the connector's, so every trade holds its own strings.
    const m = JSON.parse(`{"seqnum":${i + 3},${tradeBody(i, 'BTC-USD', `${1e12 + i}`, timestamp)}`);
    store.add({
      source: 'blockchain',
      symbol: m.symbol,
      tradeId: m.trade_id,
      price: m.price,
      qty: m.qty,
      side: m.side,
      timestamp: m.timestamp,
      seqnum: m.seqnum,
      receivedAt: new Date(Date.now() + i).toISOString(),
    });
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const size = store.sizes()['blockchain/BTC-USD'] ?? 0;
  reply({
    type: 'memory',
    bytesPerTrade: size === count ? (after - before) / count : null,
    ...(size === count ? {} : { note: `stored ${size} of ${count}` }),
  });
}

if (mode === 'dataserver') await dataserver(arg, extra === undefined ? undefined : Number(extra));
else if (mode === 'aedes') await bareAedes(Number(arg));
else if (mode === 'memory') memory(Number(arg));
