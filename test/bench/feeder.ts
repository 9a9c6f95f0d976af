/**
 * The upstream for the benchmark, a process of its own: a Blockchain.com-dialect WebSocket server
 * on loopback that acks the server's subscriptions, then streams trade frames on command, either
 * a pre-serialized burst as fast as the socket takes it (send callbacks + `bufferedAmount`) or a
 * fixed rate with the send time (µs, shared monotonic clock) in `trade_id`. It can also stop
 * accepting connections and accept them again (the recovery scenario).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { SYMBOLS, symbolOf, tradeBody } from './frames.js';
import { nowUs, onCommand, reply } from './proc.js';

const HIGH_WATER = 1 << 20;

/** One upstream connection whose subscriptions are all acked. */
class FeedConnection {
  constructor(
    private readonly ws: WebSocket,
    private seq: number,
  ) {}

  /**
   * The feeder stands in for a venue on another machine: it should cost this one as little CPU
   * as it can, so frames sent together go out in one write (ws itself writes each frame alone).
   * (ws keeps its socket in an undocumented field.)
   */
  private get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Sends every body (pre-serialized; seqnums prepended here, before the clock starts). */
  burst(bodies: readonly string[]): Promise<number> {
    const base = this.seq;
    const frames = bodies.map((b, i) => `{"seqnum":${base + i},${b}`);
    this.seq += frames.length;
    return new Promise((resolve) => {
      let i = 0;
      const pump = (err?: Error): void => {
        if (err || !this.open) {
          resolve(i);
          return;
        }
        this.socket.cork();
        while (i < frames.length && this.ws.bufferedAmount < HIGH_WATER) this.ws.send(frames[i++] as string);
        this.socket.uncork();
        if (i >= frames.length) resolve(i);
        else this.ws.send(frames[i++] as string, pump);
      };
      pump();
    });
  }

  /** `rate` trades/s for `durationMs` (bounded per tick); resolves with the count sent. */
  paced(rate: number, durationMs: number, first = 0): Promise<number> {
    return new Promise((resolve) => {
      const start = nowUs();
      const timestamp = new Date().toISOString();
      const total = Math.ceil((durationMs / 1000) * rate);
      let sent = 0;
      const tick = () => {
        const elapsedMs = (nowUs() - start) / 1000;
        // Bounded per tick so a stalled loop cannot turn into one giant burst.
        const upTo = Math.min(total, Math.floor((elapsedMs / 1000) * rate) + 1, sent + rate);
        this.socket.cork();
        for (; sent < upTo && this.open; sent++) {
          const n = first + sent;
          const frame = `{"seqnum":${this.seq++},${tradeBody(n, symbolOf(n), `${nowUs()}-${n}`, timestamp)}`;
          this.ws.send(frame);
        }
        this.socket.uncork();
        if (sent >= total || elapsedMs >= durationMs + 1_000 || !this.open) {
          clearInterval(timer);
          resolve(sent);
        }
      };
      const timer = setInterval(tick, 1);
      tick();
    });
  }
}

const http: Server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http, path: '/ws' });
const acceptedAt = new WeakMap<Socket, number>();
http.on('connection', (socket) => acceptedAt.set(socket, nowUs()));

let current: FeedConnection | undefined;
let bodies: string[] = [];
let traded = 0;
/** After `accept`: stream at this pace as soon as the next connection has subscribed. */
let autoPace: { rate: number; durationMs: number } | undefined;

wss.on('connection', (ws, req) => {
  const tcpAtUs = acceptedAt.get(req.socket) ?? nowUs();
  let seq = 0;
  const pending = new Set<string>(['heartbeat', ...SYMBOLS]);
  ws.on('error', () => {});
  ws.on('message', (data) => {
    if (pending.size === 0) return;
    let m: { action?: string; channel?: string; symbol?: string };
    try {
      m = JSON.parse(String(data));
    } catch {
      return;
    }
    if (m.action !== 'subscribe') return;
    const ack =
      m.symbol === undefined
        ? { event: 'subscribed', channel: m.channel }
        : { event: 'subscribed', channel: m.channel, symbol: m.symbol };
    ws.send(JSON.stringify({ seqnum: seq++, ...ack }));
    pending.delete(m.channel === 'trades' ? (m.symbol ?? '') : (m.channel ?? ''));
    if (pending.size > 0) return;
    const connection = new FeedConnection(ws, seq);
    current = connection;
    if (autoPace) {
      const { rate, durationMs } = autoPace;
      autoPace = undefined;
      void connection.paced(rate, durationMs, traded).then((sent) => {
        traded += sent;
        reply({ type: 'fed', sent });
      });
    }
    reply({ type: 'connected', tcpAtUs });
  });
});

const feed = async (run: (c: FeedConnection) => Promise<number>) => {
  const sent = current?.open ? await run(current) : 0;
  traded += sent;
  reply({ type: 'fed', sent });
};

onCommand((c) => {
  switch (c.type) {
    case 'prepare': {
      const timestamp = new Date().toISOString();
      bodies = Array.from({ length: c.count }, (_, i) =>
        tradeBody(i, symbolOf(i), `${1e12 + traded + i}`, timestamp),
      );
      reply({ type: 'prepared' });
      return;
    }
    case 'burst':
      void feed((conn) => conn.burst(bodies));
      return;
    case 'paced':
      void feed((conn) => conn.paced(c.rate, c.durationMs, traded));
      return;
    case 'drop':
      http.close();
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
      current = undefined;
      reply({ type: 'dropped' });
      return;
    case 'accept':
      autoPace = { rate: c.rate, durationMs: c.durationMs };
      http.listen(port, '127.0.0.1', () => reply({ type: 'accepting', atUs: nowUs() }));
      return;
    case 'stop':
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
      http.close(() => process.exit(0));
      return;
  }
});

http.listen(0, '127.0.0.1');
await once(http, 'listening');
const { port } = http.address() as AddressInfo;
reply({ type: 'ready', port, url: `ws://127.0.0.1:${port}/ws` });
