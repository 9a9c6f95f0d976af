import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { createServer, type DataServer } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { loopbackConfig, silentLogger } from '../helpers/server.js';

/**
 * A venue that names BTC-USD "XBT/USD" (not even a valid topic level): with a symbols map the
 * topics keep one naming while the venue gets its own, on both dialects.
 */
describe('symbol mapping', () => {
  let sim: Simulator;
  let server: DataServer;
  let client: RecordingClient;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 40, symbols: ['XBT/USD', 'ETH-USD'] });
    const symbols = { 'BTC-USD': 'XBT/USD', 'ETH-USD': 'ETH-USD' };
    const source = (id: string, kind: string, url: string) => ({ id, kind, url, symbols, lingerMs: 0 });
    const config = loopbackConfig([
      source('blockchain', 'blockchain', sim.url),
      source('coinbase', 'coinbase', sim.coinbaseUrl),
    ]);
    server = await createServer(config, silentLogger);
    client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await sim?.close();
  });

  it('subscribes the venue name upstream and publishes under the topic name', async () => {
    await client.subscribe('trades/+/BTC-USD');
    for (const source of ['blockchain', 'coinbase']) {
      const [m] = await client.waitForCount(
        (x) => x.topic === `trades/${source}/BTC-USD`,
        3,
        `${source} BTC-USD`,
      );
      expect(client.json(m!)).toMatchObject({ source, symbol: 'BTC-USD' });
    }
    const upstream = sim.status().connections.flatMap((c) => c.subscriptions);
    expect(upstream).toEqual(expect.arrayContaining(['trades:XBT/USD']));
    expect(upstream.some((s) => s.includes('BTC-USD'))).toBe(false);
    expect(server.statuses().blockchain?.symbols).toEqual({ 'BTC-USD': 'subscribed', 'ETH-USD': 'idle' });
    expect(server.statuses().coinbase?.symbols).toEqual({ 'BTC-USD': 'subscribed', 'ETH-USD': 'idle' });
  });
});
