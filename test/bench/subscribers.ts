/**
 * Benchmark subscribers, a process of their own. `subscribers <port> <n>`: n MQTT 3.1.1 clients
 * (a minimal one, below) on `trades/#` (QoS 0) that count trades and measure each one's latency from the feeder's send
 * time in its `tradeId` (`{µs}-{n}`, shared monotonic clock). `slow <port>`: one client that
 * subscribes and then stops reading its socket.
 */
import { connect, type Socket } from 'node:net';
import { nowUs, onCommand, percentiles, reply } from './proc.js';

const [mode, portArg = '', nArg = '1'] = process.argv.slice(2);
const port = Number(portArg);

/** Latency samples are kept up to this many (enough for the full run's longest window). */
const MAX_SAMPLES = 4_000_000;
const ID_KEY = Buffer.from('"tradeId":"');

async function subscribers(n: number): Promise<void> {
  const samples = new Float64Array(MAX_SAMPLES);
  let kept = 0;
  let received = 0;
  let fromUs = Number.POSITIVE_INFINITY;
  let expect = Number.POSITIVE_INFINITY;
  let firstAfterUs = Number.POSITIVE_INFINITY;
  let stopping = false;
  /** The worst latency of each second of the window (ms): where a p99 comes from. */
  const worst = new Array<number>(600).fill(0);

  /** One PUBLISH on `trades/...`: its payload is `buf[start, end)`. */
  const onTrade = (buf: Buffer, start: number, end: number) => {
    const at = nowUs();
    received++;
    if (received === expect) {
      expect = Number.POSITIVE_INFINITY;
      reply({ type: 'counted', atUs: at, received });
    }
    // The send time, without parsing the whole payload (this process must keep up with the server).
    const i = buf.indexOf(ID_KEY, start);
    if (i < 0 || i >= end) return;
    const dash = buf.indexOf(45, i + ID_KEY.length); // '-'
    if (dash < 0 || dash >= end) return;
    const sentUs = Number(buf.toString('latin1', i + ID_KEY.length, dash));
    if (!Number.isFinite(sentUs)) return;
    if (sentUs >= firstAfterUs) {
      firstAfterUs = Number.POSITIVE_INFINITY;
      reply({ type: 'first', atUs: at });
    }
    if (sentUs >= fromUs && kept < MAX_SAMPLES) {
      const ms = (at - sentUs) / 1000;
      samples[kept++] = ms;
      const second = Math.floor((sentUs - fromUs) / 1e6);
      if (second < worst.length) worst[second] = Math.max(worst[second] as number, ms);
    }
  };

  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const socket = await rawSubscriber(`bench-sub-${process.pid}-${i}`, onTrade);
    socket.on('close', () => {
      if (stopping) return;
      console.error(`bench subscriber ${i}: the server closed the connection`);
      process.exit(2);
    });
    sockets.push(socket);
  }

  onCommand((c) => {
    switch (c.type) {
      case 'expect':
        received = 0;
        expect = c.count;
        return;
      case 'window':
        fromUs = c.fromUs;
        worst.fill(0);
        kept = 0;
        received = 0;
        return;
      case 'first':
        firstAfterUs = c.afterUs;
        return;
      case 'report':
        reply({
          type: 'report',
          received,
          samples: kept,
          ...percentiles(samples.subarray(0, kept)),
          worstBySecondMs: worst.slice(0, Math.ceil((nowUs() - fromUs) / 1e6)).map((x) => Math.round(x)),
        });
        return;
      case 'stop':
        stopping = true;
        for (const socket of sockets) socket.end(Buffer.from([0xe0, 0])); // DISCONNECT
        setTimeout(() => process.exit(0), 200);
        return;
    }
  });
  reply({ type: 'ready', port });
}

/** MQTT 3.1.1 CONNECT (clean session, keepalive 0) and SUBSCRIBE `trades/#` QoS 0, by hand. */
function mqttString(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}
function packet(type: number, body: Buffer): Buffer {
  if (body.length > 127) throw new Error('packet too long for this helper');
  return Buffer.concat([Buffer.from([type, body.length]), body]);
}

/**
 * A minimal MQTT 3.1.1 subscriber on a raw socket: CONNECT, SUBSCRIBE `trades/#` (QoS 0), then
 * it splits the stream into packets and hands each PUBLISH payload on a `trades/` topic to
 * `onTrade`. It costs a fraction of a full client per message, so the server stays the bottleneck
 * (the same subscriber serves DataServer and bare Aedes). Resolves once SUBACK arrived.
 */
function rawSubscriber(
  clientId: string,
  onTrade: (buf: Buffer, start: number, end: number) => void,
  stallAfterSuback = false,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.on('error', () => {}); // after SUBACK a reset shows as 'close'
    socket.on('connect', () => {
      const connectBody = Buffer.concat([
        mqttString('MQTT'),
        Buffer.from([4, 0x02, 0, 0]), // level 4 (3.1.1), clean session, keepalive 0
        mqttString(clientId),
      ]);
      const subscribeBody = Buffer.concat([Buffer.from([0, 1]), mqttString('trades/#'), Buffer.from([0])]);
      socket.write(Buffer.concat([packet(0x10, connectBody), packet(0x82, subscribeBody)]));
    });
    let rest: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
      rest = undefined;
      let at = 0;
      while (at < buf.length) {
        // Fixed header: type byte, then the remaining length (1-4 bytes, 7 bits each).
        let len = 0;
        let mul = 1;
        let i = at + 1;
        let complete = false;
        while (i < buf.length && i < at + 5) {
          const b = buf[i++] as number;
          len += (b & 0x7f) * mul;
          mul *= 128;
          if ((b & 0x80) === 0) {
            complete = true;
            break;
          }
        }
        if (!complete || i + len > buf.length) break;
        const type = (buf[at] as number) >> 4;
        if (type === 3) {
          const topicLen = ((buf[i] as number) << 8) | (buf[i + 1] as number);
          const qos = ((buf[at] as number) >> 1) & 3;
          const payloadAt = i + 2 + topicLen + (qos > 0 ? 2 : 0);
          if (buf.toString('latin1', i + 2, i + 9) === 'trades/') onTrade(buf, payloadAt, i + len);
        } else if (type === 9) {
          resolve(socket);
          if (stallAfterSuback) {
            socket.off('data', onData);
            socket.pause();
            return;
          }
        }
        at = i + len;
      }
      if (at < buf.length) rest = buf.subarray(at);
    };
    socket.on('data', onData);
  });
}

/** A subscriber that reads CONNACK and SUBACK, then never reads again (its socket is paused). */
async function slow(): Promise<void> {
  const socket = await rawSubscriber('bench-slow', () => {}, true);
  reply({ type: 'stalled', atUs: nowUs() });
  onCommand((c) => {
    if (c.type === 'stop') {
      socket.destroy();
      process.exit(0);
    }
  });
  reply({ type: 'ready', port });
}

if (mode === 'subscribers') await subscribers(Number(nArg));
else if (mode === 'slow') await slow();
else throw new Error(`unknown mode ${mode}`);
