import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, PacketSizeMeter, startBroker } from '../../src/broker/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { silentLogger } from '../helpers/server.js';

describe('broker limits', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const x of open.reverse()) await x.close();
    open.length = 0;
  });
  async function broker(limits: Parameters<typeof startBroker>[0]['limits']): Promise<EmbeddedBroker> {
    const b = await startBroker({ host: '127.0.0.1', port: 0, wsPort: 0, logger: silentLogger, limits });
    open.push(b);
    return b;
  }
  async function client(b: EmbeddedBroker): Promise<RecordingClient> {
    const c = await RecordingClient.connect(`mqtt://127.0.0.1:${b.port}`);
    open.push(c);
    return c;
  }

  it('refuses connections past maxConnections with CONNACK 3 (server unavailable), and counts them', async () => {
    const b = await broker({ maxConnections: 2 });
    await client(b);
    await client(b);
    const third = await mqtt
      .connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0, connectTimeout: 5000 })
      .then(
        (c) => c.endAsync(true).then(() => 'connected'),
        (e: unknown) => e,
      );
    expect((third as { code?: number }).code).toBe(3);
    expect(b.stats.refusedConnections).toBe(1);
  });

  it('refuses subscriptions past maxSubscriptionsPerClient (SUBACK 0x80), keeping the client', async () => {
    const b = await broker({ maxSubscriptionsPerClient: 2 });
    const c = await client(b);
    await c.subscribe('a/1', 'a/2');
    await c.subscribe('a/1'); // re-subscribing a held filter is not a new one
    const refused = await c.client.subscribeAsync('a/3').catch((e: unknown) => e);
    expect((refused as { packet?: { granted?: number[] } }).packet?.granted).toEqual([128]);
    expect(b.stats.refusedSubscriptions).toBe(1);
    expect(c.client.connected).toBe(true);
  });

  it('closes a connection that sends a packet over maxPacketBytes, and keeps serving the others', async () => {
    const b = await broker({ maxPacketBytes: 1024 });
    const big = await client(b);
    const other = await client(b);
    await other.subscribe('chat/#');
    const closed = new Promise<void>((resolve) => big.client.once('close', () => resolve()));
    big.client.publish('chat/big', Buffer.alloc(4096, 1));
    await closed;
    expect(b.stats.oversizedPackets).toBe(1);
    const small = await client(b);
    small.client.publish('chat/small', 'ok');
    await other.waitFor((m) => m.topic === 'chat/small', 'a normal publish');
    expect(other.messages.some((m) => m.topic === 'chat/big')).toBe(false);
  });
});

describe('PacketSizeMeter', () => {
  const header = (type: number, length: number) => {
    const bytes = [type];
    let n = length;
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      bytes.push(b);
    } while (n > 0);
    return Buffer.from(bytes);
  };
  const packet = (length: number) => Buffer.concat([header(0x30, length), Buffer.alloc(length)]);

  it('finds packet boundaries across arbitrary chunking', () => {
    const stream = Buffer.concat([packet(10), packet(0), packet(300), packet(127), packet(128)]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const meter = new PacketSizeMeter(300);
      for (let i = 0; i < stream.length; i += size) expect(meter.feed(stream.subarray(i, i + size))).toBe(0);
    }
  });

  it('reports the first packet over the limit as soon as its header is complete', () => {
    const meter = new PacketSizeMeter(300);
    expect(meter.feed(packet(200))).toBe(0);
    expect(meter.feed(header(0x30, 16_384).subarray(0, 2))).toBe(0);
    expect(meter.feed(header(0x30, 16_384).subarray(2))).toBe(16_384);
  });
});
