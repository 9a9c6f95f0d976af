import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { CONTRACT_TRADE_FIELDS } from '../helpers/contract.js';
import { type Received, RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';

/** Real simulator → real server (embedded Aedes) → real MQTT clients, all on loopback ephemeral ports. */
describe('a trade travels from the simulator to MQTT clients', () => {
  const open: Array<{ close(): Promise<void> } | DataServer> = [];
  afterEach(async () => {
    for (const thing of open.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
    open.length = 0;
  });

  async function setup(rate = 50) {
    const sim = await startSimulator({ port: 0, rate, seed: 7 });
    open.push(sim);
    const server = await startTestServer(sim.url);
    open.push(server);
    return { sim, server };
  }

  it('delivers BTC-USD and ETH-USD trades over TCP with exactly the contract fields', async () => {
    const { server } = await setup();
    const client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    open.push(client);
    await client.subscribe('trades/#');

    for (const symbol of ['BTC-USD', 'ETH-USD']) {
      const [m] = await client.waitForCount(
        (x) => x.topic === `trades/blockchain/${symbol}`,
        3,
        `${symbol} trades`,
      );
      const trade = client.json(m!);
      expect(Object.keys(trade)).toEqual(CONTRACT_TRADE_FIELDS);
      expect(trade).toMatchObject({ source: 'blockchain', symbol });
      expect(trade.tradeId).toEqual(expect.any(String));
      expect(trade.price).toBeGreaterThan(0);
      expect(trade.qty).toBeGreaterThan(0);
      expect(['buy', 'sell']).toContain(trade.side);
      expect(trade.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(Number.isInteger(trade.seqnum)).toBe(true);
      expect(Number.isNaN(Date.parse(trade.receivedAt as string))).toBe(false);
      expect(m?.retain).toBe(false);
    }
    const ids = client.messages
      .filter((m) => m.topic.startsWith('trades/'))
      .map((m) => client.json(m).tradeId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('delivers the same trades to a browser-style client over WebSocket /mqtt', async () => {
    const { server } = await setup();
    const tcp = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    const ws = await RecordingClient.connect(`ws://127.0.0.1:${server.broker.wsPort}/mqtt`);
    open.push(tcp, ws);
    await tcp.subscribe('trades/blockchain/BTC-USD');
    await ws.subscribe('trades/blockchain/BTC-USD');
    const [first] = await ws.waitForCount(
      (m) => m.topic === 'trades/blockchain/BTC-USD',
      5,
      'BTC-USD over ws',
    );
    const viaTcp = await tcp.waitFor((m) => m.payload === first?.payload, 'the same trade over TCP');
    expect(client(viaTcp).symbol).toBe('BTC-USD');
  });

  it('keeps a retained status that says subscribed, visible at once to a new subscriber', async () => {
    const { server } = await setup();
    const holder = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    open.push(holder);
    await holder.subscribe('trades/blockchain/BTC-USD');
    await holder.waitFor((m) => m.topic.startsWith('trades/'), 'a trade');

    const late = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    open.push(late);
    await late.subscribe('status/#', 'dataserver/status');
    const status = await late.waitFor((m) => m.topic === 'status/blockchain' && m.retain, 'retained status');
    expect(late.json(status)).toMatchObject({
      source: 'blockchain',
      state: 'subscribed',
      attempt: 0,
      nextRetryAt: null,
      symbols: { 'BTC-USD': 'subscribed' },
    });
    const server_ = await late.waitFor((m) => m.topic === 'dataserver/status' && m.retain, 'server status');
    expect(late.json(server_)).toMatchObject({ state: 'online', version: expect.any(String) });
  });

  it('survives the upstream going away and resumes trades without a server restart', async () => {
    const { sim, server } = await setup();
    const port = sim.port;
    const client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    open.push(client);
    await client.subscribe('trades/blockchain/BTC-USD', 'status/blockchain', 'events/blockchain');
    await client.waitFor((m) => m.topic.startsWith('trades/'), 'a first trade');

    const beforeDrop = client.mark();
    await sim.close();
    const down = await client.waitFor(
      (m) => m.topic === 'status/blockchain' && client.json(m).state === 'backoff',
      'status backoff',
      beforeDrop,
    );
    expect(client.json(down).lastError).toEqual(expect.any(String));
    const lost = await client.waitFor((m) => m.topic === 'events/blockchain', 'connection.lost event');
    expect(client.json(lost)).toMatchObject({
      jsonrpc: '2.0',
      method: 'connection.lost',
      params: { source: 'blockchain' },
    });

    const beforeRestart = client.mark();
    const again = await startSimulator({ port, rate: 50, seed: 8 });
    open.push(again);
    const isState = (state: string) => (m: Received) =>
      m.topic === 'status/blockchain' && client.json(m).state === state;
    await client.waitFor(isState('resubscribing'), 'status resubscribing', beforeRestart);
    const up = await client.waitFor(isState('subscribed'), 'status subscribed again', beforeRestart);
    expect(client.json(up).symbols).toMatchObject({ 'BTC-USD': 'subscribed' });
    await client.waitForCount(
      (m) => m.topic.startsWith('trades/'),
      3,
      'trades after the restart',
      beforeRestart,
    );
    const restored = await client.waitFor(
      (m) => m.topic === 'events/blockchain' && client.json(m).method === 'connection.restored',
      'connection.restored',
      beforeRestart,
    );
    expect(client.json(restored)).toMatchObject({ params: { source: 'blockchain' } });
  });
});

function client(m: { payload: string }): Record<string, unknown> {
  return JSON.parse(m.payload) as Record<string, unknown>;
}
