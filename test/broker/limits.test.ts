import { connect, type Socket } from 'node:net';
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

/**
 * An MQTT 3.1.1 client on a raw socket that subscribes `filter` (QoS 0), and once SUBACK is in,
 * never reads again: a subscriber that stalls (a frozen process, a dead link that still ACKs).
 */
function stalledSubscriber(port: number, clientId: string, filter: string): Promise<Socket> {
  const str = (s: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)]);
  const packet = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, body.length]), body]);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const connectBody = Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 0]), str(clientId)]);
      const subscribeBody = Buffer.concat([Buffer.from([0, 1]), str(filter), Buffer.from([0])]);
      socket.write(Buffer.concat([packet(0x10, connectBody), packet(0x82, subscribeBody)]));
    });
    socket.on('error', reject);
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      // CONNACK (4 bytes), then SUBACK (type 9).
      if (seen.length >= 9 && seen[4] === 0x90) {
        socket.off('data', onData);
        socket.pause();
        resolve(socket);
      }
    };
    socket.on('data', onData);
  });
}

describe('slow consumers', () => {
  let b: EmbeddedBroker | undefined;
  const sockets: Socket[] = [];
  let reader: RecordingClient | undefined;
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    await reader?.close();
    await b?.close();
  });

  it('disconnects a subscriber whose unsent backlog passes maxClientBacklogBytes; the others get every message', async () => {
    b = await startBroker({
      host: '127.0.0.1',
      port: 0,
      wsPort: 0,
      logger: silentLogger,
      limits: { maxClientBacklogBytes: 64 * 1024 },
    });
    const broker = b;
    reader = await RecordingClient.connect(`mqtt://127.0.0.1:${broker.port}`);
    await reader.subscribe('feed/#');
    sockets.push(await stalledSubscriber(broker.port, 'stalled', 'feed/#'));
    const cut = new Promise<string>((resolve) =>
      broker.aedes.on('clientDisconnect', (client) => resolve(client.id)),
    );
    // Kernel buffers take a few MB before the server's own backlog grows: bounded at 64 MB. Two
    // at a time: what one turn writes to a reader counts as its backlog until the turn ends.
    const payload = Buffer.alloc(16 * 1024, 0x61);
    let sent = 0;
    while (broker.stats.slowConsumers === 0 && sent < 4_000) {
      for (let i = 0; i < 2; i++) broker.publish(`feed/${sent++}`, payload);
      await new Promise<void>((resolve) => broker.flow.whenDrained(resolve));
    }
    expect(broker.stats.slowConsumers).toBe(1);
    expect(await cut).toBe('stalled');
    await reader.waitForCount((m) => m.topic.startsWith('feed/'), sent, 'every message', 0, 20_000);
    const topics = reader.messages.filter((m) => m.topic.startsWith('feed/')).map((m) => m.topic);
    expect(topics).toEqual(Array.from({ length: sent }, (_, i) => `feed/${i}`));
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
