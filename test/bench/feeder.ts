/**
 * A Blockchain.com-dialect upstream for the benchmark: acks the server's subscriptions, then
 * streams trade frames, either a pre-serialized burst as fast as the socket takes it (send
 * callbacks + `bufferedAmount` for backpressure) or a fixed rate with the send time in `trade_id`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type WebSocket, WebSocketServer } from 'ws';
import { SYMBOLS, symbolOf, tradeBody } from './frames.js';

const HIGH_WATER = 1 << 20;

/** One upstream connection whose subscriptions are all acked. */
export class FeedConnection {
  constructor(
    private readonly ws: WebSocket,
    private seq: number,
  ) {}

  /** Sends every body (pre-serialized, seqnums prepended before the clock starts). */
  burst(bodies: readonly string[]): Promise<void> {
    const base = this.seq;
    const frames = bodies.map((b, i) => `{"seqnum":${base + i},${b}`);
    this.seq += frames.length;
    return new Promise((resolve, reject) => {
      let i = 0;
      const pump = (err?: Error): void => {
        if (err) {
          reject(err);
        } else if (this.ws.readyState !== this.ws.OPEN) {
          reject(new Error('upstream closed'));
        } else {
          while (i < frames.length && this.ws.bufferedAmount < HIGH_WATER)
            this.ws.send(frames[i++] as string);
          if (i >= frames.length) resolve();
          else this.ws.send(frames[i++] as string, pump);
        }
      };
      pump();
    });
  }

  /**
   * `rate` trades/s for `durationMs`, each `trade_id` being `{send time in µs}-{n}`
   * (performance.now() of this process, where the subscriber also runs). Resolves with the count.
   */
  paced(rate: number, durationMs: number): Promise<number> {
    return new Promise((resolve) => {
      const start = performance.now();
      const timestamp = new Date().toISOString();
      let sent = 0;
      const timer = setInterval(() => {
        const elapsed = performance.now() - start;
        const target = Math.min(Math.floor((elapsed / 1000) * rate), Math.ceil((durationMs / 1000) * rate));
        // Bounded per tick so a stalled loop cannot turn into one giant burst.
        const upTo = Math.min(target, sent + rate);
        for (; sent < upTo; sent++) {
          const id = `${Math.round(performance.now() * 1000)}-${sent}`;
          this.ws.send(`{"seqnum":${this.seq++},${tradeBody(sent, symbolOf(sent), id, timestamp)}`);
        }
        if (elapsed >= durationMs || this.ws.readyState !== this.ws.OPEN) {
          clearInterval(timer);
          resolve(sent);
        }
      }, 1);
    });
  }
}

export class Feeder {
  private waiting: ((c: FeedConnection) => void) | undefined;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on('connection', (ws) => this.accept(ws));
  }

  static async start(): Promise<Feeder> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
    await once(wss, 'listening');
    return new Feeder(wss, `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`);
  }

  /** The next connection that has subscribed the heartbeat and every symbol. */
  connection(timeoutMs: number): Promise<FeedConnection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no upstream subscription within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (c) => {
        clearTimeout(timer);
        resolve(c);
      };
    });
  }

  private accept(ws: WebSocket): void {
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
      if (pending.size === 0) {
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting?.(new FeedConnection(ws, seq));
      }
    });
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
