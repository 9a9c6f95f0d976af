import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import type { ClientOptions } from 'ws';
import { WebSocket } from 'ws';
import {
  FIRST_TRADE_ID,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../simulator/index.js';

/** A server message as parsed by the tests; fields beyond seqnum/event depend on the message. */
export interface WireMessage {
  seqnum: number;
  event: string;
  channel?: string;
  symbol?: string;
  text?: string;
  timestamp?: string;
  side?: string;
  qty?: number;
  price?: number;
  trade_id?: string;
}

export const TIMESTAMP_6 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

export const isTrade =
  (symbol?: string) =>
  (m: WireMessage): boolean =>
    m.event === 'updated' && m.channel === 'trades' && (symbol === undefined || m.symbol === symbol);

export const isHeartbeat = (m: WireMessage): boolean => m.event === 'updated' && m.channel === 'heartbeat';

/** Microseconds since the epoch of a 6-digit timestamp, exactly. */
export function micros(timestamp: string): number {
  return Date.parse(`${timestamp.slice(0, 23)}Z`) * 1000 + Number(timestamp.slice(23, 26));
}

const DEFAULT_TIMEOUT_MS = 5000;

export function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A real `ws` client that records every message and lets a test wait for a condition on them.
 * `M` is the dialect's message shape: Blockchain.com's by default.
 */
export class TestClient<M extends object = WireMessage> {
  /** The JSON-object messages, parsed; `raw[i]` is the text of `messages[i]`. */
  readonly messages: M[] = [];
  readonly raw: string[] = [];
  /** Every text frame in arrival order, malformed ones included. */
  readonly frames: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    socket.on('message', (data) => {
      const text = data.toString();
      this.frames.push(text);
      const value = parseOrUndefined(text);
      if (isObject(value)) {
        this.raw.push(text);
        this.messages.push(value as M);
      }
      for (const check of [...this.waiters]) check();
    });
  }

  static connect<M extends object = WireMessage>(
    url: string,
    options?: ClientOptions,
  ): Promise<TestClient<M>> {
    const socket = new WebSocket(url, options);
    const client = new TestClient<M>(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  send(request: object | string): void {
    this.socket.send(typeof request === 'string' ? request : JSON.stringify(request));
  }

  /** Resolves with the first non-undefined `pick(messages)`, re-checked on every message. */
  waitFor<T>(pick: (messages: readonly M[]) => T | undefined, what: string): Promise<T> {
    return this.until(() => pick(this.messages), what);
  }

  /** Resolves with the first non-undefined `probe()`, re-checked on every frame. */
  until<T>(probe: () => T | undefined, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const check = (): void => {
        const value = probe();
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        const tail = this.frames.slice(-3).join('\n  ');
        reject(new Error(`Timed out waiting for ${what}; ${this.frames.length} frames, last:\n  ${tail}`));
      }, DEFAULT_TIMEOUT_MS);
      this.waiters.add(check);
      check();
    });
  }

  /** The first message matching `predicate`. */
  find(predicate: (m: M) => boolean, what = 'a matching message'): Promise<M> {
    return this.waitFor((ms) => ms.find(predicate), what);
  }

  /** The first `n` messages matching `predicate`. */
  collect(predicate: (m: M) => boolean, n: number, what = 'matching messages'): Promise<M[]> {
    return this.waitFor((ms) => {
      const matching = ms.filter(predicate);
      return matching.length >= n ? matching.slice(0, n) : undefined;
    }, `${n} ${what}`);
  }

  /** The `n`th message (0-based) received on this connection. */
  nth(n: number): Promise<M> {
    return this.waitFor((ms) => ms[n], `message #${n}`);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    const timer = setTimeout(() => this.socket.terminate(), 1000);
    await this.closed;
    clearTimeout(timer);
  }
}

/** Polls a condition that has no event of its own, e.g. a server-side counter. */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A debug-level logger whose JSON lines are kept for assertions. */
export function captureLogs(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Starts simulators and clients for one test and closes all of them afterwards. */
export class Harness {
  private readonly cleanups: Array<() => Promise<void>> = [];

  async simulator(options: SimulatorOptions = {}): Promise<Simulator> {
    const sim = await startSimulator({ port: 0, rate: 200, firstTradeId: FIRST_TRADE_ID, ...options });
    this.cleanups.push(() => sim.close());
    return sim;
  }

  async client<M extends object = WireMessage>(url: string, options?: ClientOptions): Promise<TestClient<M>> {
    const client = await TestClient.connect<M>(url, options);
    this.cleanups.push(() => client.close());
    return client;
  }

  async cleanup(): Promise<void> {
    const pending = this.cleanups.splice(0).reverse();
    for (const close of pending) await close();
  }
}

/** Posts to the simulator's control route; the parsed JSON answer and status. */
export async function control(
  sim: Simulator,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit =
    body === undefined
      ? {}
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        };
  const res = await fetch(`http://127.0.0.1:${sim.port}${path}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
