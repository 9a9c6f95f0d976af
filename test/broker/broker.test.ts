import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startBroker } from '../../src/broker/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { silentLogger } from '../helpers/server.js';

describe('embedded broker', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const x of open.reverse()) await x.close();
    open.length = 0;
  });

  async function broker(): Promise<EmbeddedBroker> {
    const b = await startBroker({ host: '127.0.0.1', port: 0, wsPort: 0, logger: silentLogger });
    open.push(b);
    return b;
  }
  async function client(url: string): Promise<RecordingClient> {
    const c = await RecordingClient.connect(url);
    open.push(c);
    return c;
  }

  it('delivers a retained publish even when a plain publish follows it in the same tick', async () => {
    const b = await broker();
    const c = await client(`mqtt://127.0.0.1:${b.port}`);
    await c.subscribe('status/x', 'events/x');
    b.publish('status/x', 'first', true);
    b.publish('events/x', 'second');
    b.publish('status/x', 'third', true);
    const got = await c.waitForCount(() => true, 3, 'all three messages');
    expect(got.map((m) => m.payload)).toEqual(['first', 'second', 'third']);
    // Live deliveries carry retain=0 (MQTT-3.3.1-9).
    expect(got.map((m) => m.retain)).toEqual([false, false, false]);
  });

  it('gives a later subscriber the last retained message, flagged retained', async () => {
    const b = await broker();
    await b.publishAsync('status/x', 'old', true);
    await b.publishAsync('status/x', 'new', true);
    const c = await client(`mqtt://127.0.0.1:${b.port}`);
    await c.subscribe('status/#');
    const m = await c.waitFor((x) => x.topic === 'status/x', 'retained status');
    expect(m).toMatchObject({ payload: 'new', retain: true });
  });

  it('drops client publishes to server topics so they reach nobody, counts them, keeps the client', async () => {
    const b = await broker();
    const reader = await client(`mqtt://127.0.0.1:${b.port}`);
    const writer = await client(`mqtt://127.0.0.1:${b.port}`);
    await reader.subscribe('#');
    for (const topic of [
      'trades/blockchain/BTC-USD',
      'status/blockchain',
      'events/x',
      'machines/x',
      'dataserver/status',
    ]) {
      writer.client.publish(topic, 'forged');
    }
    // A permitted publish after the forged ones: once it arrives, the forged ones had their chance.
    writer.client.publish('chat/room', 'hello');
    await reader.waitFor((m) => m.topic === 'chat/room', 'the permitted publish');
    expect(reader.messages.filter((m) => m.payload === 'forged')).toEqual([]);
    expect(b.stats.refusedPublishes).toBe(5);
    // The writer keeps its connection: a wrong topic costs the message, not the session.
    expect(writer.client.connected).toBe(true);
  });

  it('never lets a client replace the retained status of the server', async () => {
    const b = await broker();
    await b.publishAsync('status/x', 'server', true);
    const writer = await client(`mqtt://127.0.0.1:${b.port}`);
    await writer.client.publishAsync('status/x', 'forged', { retain: true, qos: 1 });
    const reader = await client(`mqtt://127.0.0.1:${b.port}`);
    await reader.subscribe('status/x');
    const m = await reader.waitFor((x) => x.topic === 'status/x', 'retained status');
    expect(m.payload).toBe('server');
  });

  it('serves MQTT over WebSocket at /mqtt', async () => {
    const b = await broker();
    const c = await client(`ws://127.0.0.1:${b.wsPort}/mqtt`);
    await c.subscribe('trades/#');
    b.publish('trades/s/BTC-USD', '{"x":1}');
    const m = await c.waitFor((x) => x.topic === 'trades/s/BTC-USD', 'a trade over ws');
    expect(m.payload).toBe('{"x":1}');
  });

  it('reports subscribe, unsubscribe and disconnect of clients', async () => {
    const b = await broker();
    const events: string[] = [];
    let resolveDisconnect: () => void = () => {};
    const disconnected = new Promise<void>((r) => {
      resolveDisconnect = r;
    });
    b.listen({
      subscribe: (id, filters) => events.push(`sub ${id} ${filters.join(',')}`),
      unsubscribe: (id, filters) => events.push(`unsub ${id} ${filters.join(',')}`),
      disconnect: (id) => {
        events.push(`gone ${id}`);
        resolveDisconnect();
      },
    });
    const c = await RecordingClient.connect(`mqtt://127.0.0.1:${b.port}`, { clientId: 'c1' });
    await c.subscribe('trades/a/+', 'status/a');
    await c.client.unsubscribeAsync('status/a');
    // An abrupt drop, no DISCONNECT packet.
    c.client.stream.destroy();
    await disconnected;
    // (Aedes then also reports the dropped client's remaining filters as unsubscribed.)
    expect(events.slice(0, 3)).toEqual(['sub c1 trades/a/+,status/a', 'unsub c1 status/a', 'gone c1']);
    await c.close();
  });
});
