import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { createServer, type DataServer } from '../../src/runtime/index.js';
import { CONTRACT_TRADE_FIELDS } from '../helpers/contract.js';
import { type Received, RecordingClient } from '../helpers/mqtt.js';
import { FAST_BACKOFF, loopbackConfig, silentLogger } from '../helpers/server.js';

/** Two dialects at once: the simulator's Blockchain.com and Coinbase faces, one server, one client. */
describe('two venues, one topic tree', () => {
  let sim: Simulator;
  let server: DataServer;
  let client: RecordingClient;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 40, heartbeatIntervalMs: 200 });
    const source = (id: string, kind: string, url: string) => ({
      id,
      kind,
      url,
      symbols: ['BTC-USD', 'ETH-USD'],
      lingerMs: 0,
      staleAfterMs: 600,
      backoff: FAST_BACKOFF,
    });
    const config = loopbackConfig([
      source('blockchain', 'blockchain', sim.url),
      source('coinbase', 'coinbase', sim.coinbaseUrl),
    ]);
    server = await createServer(config, silentLogger);
    client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    await client.subscribe('trades/+/BTC-USD', 'status/+');
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await sim?.close();
  });

  const tradesOf = (source: string, from = 0) =>
    client.messages.slice(from).filter((m) => m.topic === `trades/${source}/BTC-USD`);

  it('delivers both venues’ BTC-USD trades on trades/+/BTC-USD, normalized identically', async () => {
    await client.waitForCount((m) => m.topic === 'trades/blockchain/BTC-USD', 10, 'blockchain trades');
    await client.waitForCount((m) => m.topic === 'trades/coinbase/BTC-USD', 10, 'coinbase trades');
    expect(client.messages.some((m) => m.topic.endsWith('/ETH-USD'))).toBe(false);

    // The simulator sends each market trade to both venues' subscribers: the same trade must come
    // out the same from both dialects (maker side inverted, decimal strings parsed).
    const byId = (source: string) =>
      new Map(tradesOf(source).map((m) => [client.json(m).tradeId as string, client.json(m)] as const));
    const fromBlockchain = byId('blockchain');
    const fromCoinbase = byId('coinbase');
    const shared = [...fromBlockchain.keys()].filter((id) => fromCoinbase.has(id));
    expect(shared.length).toBeGreaterThan(5);
    for (const id of shared) {
      const a = fromBlockchain.get(id) as Record<string, unknown>;
      const b = fromCoinbase.get(id) as Record<string, unknown>;
      expect(Object.keys(b)).toEqual(CONTRACT_TRADE_FIELDS);
      expect({ ...b, source: 'x', seqnum: 0, receivedAt: '' }).toEqual({
        ...a,
        source: 'x',
        seqnum: 0,
        receivedAt: '',
      });
    }
  });

  it('keeps one venue flowing while the other one is cut off and recovers', async () => {
    const from = client.mark();
    const blockchainConnection = sim.status().connections.find((c) => c.dialect === 'blockchain');
    expect(blockchainConnection).toBeDefined();
    // A zombie socket: blockchain goes silent, is detected as stale after 600 ms, and reconnects.
    sim.fault({ kind: 'stall', seconds: 5, connection: blockchainConnection?.id });
    const isState = (source: string, state: string) => (m: Received) =>
      m.topic === `status/${source}` && client.json(m).state === state;
    const down = await client.waitFor(isState('blockchain', 'backoff'), 'blockchain backoff', from);
    const up = await client.waitFor(
      isState('blockchain', 'subscribed'),
      'blockchain subscribed again',
      down.index,
    );
    // Coinbase trades kept arriving during the outage, and its status never moved.
    await client.waitForCount(
      (m) => m.topic === 'trades/coinbase/BTC-USD' && m.index > up.index,
      3,
      'coinbase trades after the recovery',
      from,
    );
    expect(
      tradesOf('coinbase', from).some((m) => m.index > down.index && m.index < up.index) ||
        up.index - down.index < 3,
    ).toBe(true);
    expect(client.messages.slice(from).filter((m) => m.topic === 'status/coinbase')).toEqual([]);
    await client.waitFor(
      (m) => m.topic === 'trades/blockchain/BTC-USD' && m.index > up.index,
      'blockchain trades again',
      from,
    );
    expect(server.statuses().coinbase?.attempt).toBe(0);
    expect(server.statuses().blockchain?.attempt).toBeGreaterThan(0);
  });
});
