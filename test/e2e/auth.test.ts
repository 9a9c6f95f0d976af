import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { hashPassword } from '../../src/broker/index.js';
import { createServer, type DataServer, parseConfig } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { silentLogger } from '../helpers/server.js';

/** A server with mqtt.auth on, over TCP and WebSocket, fed by the real simulator. */
describe('MQTT authentication and entitlements', () => {
  let sim: Simulator;
  let server: DataServer;
  const open: RecordingClient[] = [];
  const tcp = () => `mqtt://127.0.0.1:${server.broker.port}`;
  const ws = () => `ws://127.0.0.1:${server.broker.wsPort}/mqtt`;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 50 });
    const cheap = { N: 1024, r: 8, p: 1 };
    const config = parseConfig({
      mqtt: {
        host: '127.0.0.1',
        port: 0,
        wsPort: 0,
        auth: {
          users: [
            { username: 'alice', passwordHash: await hashPassword('alice-secret', cheap) },
            {
              username: 'bot',
              passwordHash: await hashPassword('bot-secret', cheap),
              allow: ['trades/blockchain/BTC-USD'],
            },
          ],
        },
      },
      http: { host: '127.0.0.1', port: 0 },
      sources: [{ id: 'blockchain', url: sim.url, lingerMs: 0 }],
    });
    server = await createServer(config, silentLogger);
  });
  afterAll(async () => {
    for (const c of open) await c.close();
    await server?.stop();
    await sim?.close();
  });

  const refusal = (url: string, options: mqtt.IClientOptions) =>
    mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }).then(
      async (c) => {
        await c.endAsync(true);
        return 'connected';
      },
      (e: { code?: number }) => e.code,
    );

  it('refuses a wrong password (CONNACK 4) and an anonymous client (CONNACK 5), on TCP and WebSocket', async () => {
    for (const url of [tcp(), ws()]) {
      expect(await refusal(url, { username: 'alice', password: 'guess' })).toBe(4);
      expect(await refusal(url, { username: 'mallory', password: 'alice-secret' })).toBe(4);
      expect(await refusal(url, {})).toBe(5);
      expect(await refusal(url, { username: 'alice', password: 'alice-secret' })).toBe('connected');
    }
  });

  it('lets an entitled user read only what it may, and a refused filter creates no upstream demand', async () => {
    const bot = await RecordingClient.connect(ws(), { username: 'bot', password: 'bot-secret' });
    open.push(bot);
    const refused = await bot.client.subscribeAsync('trades/#').catch((e: unknown) => e);
    expect((refused as { packet?: { granted?: number[] } }).packet?.granted).toEqual([128]);
    await bot.subscribe('trades/blockchain/BTC-USD');
    await bot.waitForCount((m) => m.topic === 'trades/blockchain/BTC-USD', 3, 'BTC-USD trades');
    // trades/# was refused, so only BTC-USD is wanted upstream.
    expect(server.statuses().blockchain?.symbols).toEqual({ 'BTC-USD': 'subscribed', 'ETH-USD': 'idle' });
    expect(bot.messages.some((m) => m.topic === 'trades/blockchain/ETH-USD')).toBe(false);
  });
});
