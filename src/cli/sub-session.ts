import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Trade } from '../domain/index.js';
import type { SourceStatus } from '../runtime/index.js';
import { CONTROLS_HELP, type Control, parseControl } from './sub-controls.js';
import { fetchHistory, HistoryGate } from './sub-history.js';
import type { Connection } from './sub-model.js';
import { RpcClient } from './sub-rpc.js';

/** Where a session's messages go: the table, plain lines or JSON lines. */
export interface SubSink {
  trade(t: Trade, history: boolean): void;
  /** A `status/{source}` payload; null when the retained status was cleared. */
  status(source: string, status: SourceStatus | null): void;
  event(source: string, body: unknown): void;
  connection(c: Connection): void;
  notice(text: string, level: 'info' | 'error'): void;
}

/** What a session needs from the command line. */
export interface SessionFlags {
  url: string;
  username: string | undefined;
  password: string | undefined;
  source: string;
  symbols: string[];
  history: number;
}

export interface SubSessionOptions {
  flags: SessionFlags;
  sink: SubSink;
  /** Default: `sub-` and random hex. */
  clientId?: string;
  /** Extra MQTT options (tests add a `will` to see abrupt closes at the broker). */
  mqtt?: Partial<IClientOptions>;
  /** Pause after `g` and `a` before reconnecting. Default 1000. */
  reconnectMs?: number;
  now?: () => number;
}

export interface SubSession {
  readonly clientId: string;
  /** Runs a typed command line (`g`, `a`, `t N`, `q`, `h`); a bad one becomes an error notice. */
  command(line: string): void;
  control(c: Control): void;
  /** Ends cleanly (MQTT DISCONNECT); resolves when closed. */
  quit(): Promise<void>;
  /** Resolves with the exit code once the session has ended. */
  readonly done: Promise<number>;
}

/** The topic filters `sub` subscribes to. */
export function subFilters(flags: Pick<SessionFlags, 'source' | 'symbols'>): string[] {
  const trades = flags.symbols.length
    ? flags.symbols.map((s) => `trades/${flags.source}/${s}`)
    : [`trades/${flags.source}/+`];
  return [...trades, `status/${flags.source}`, `events/${flags.source}`];
}

function isTrade(x: unknown): x is Trade {
  if (typeof x !== 'object' || x === null) return false;
  const t = x as Record<string, unknown>;
  return typeof t.source === 'string' && typeof t.tradeId === 'string' && typeof t.price === 'number';
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * One `sub` client: the MQTT connection with its subscriptions, `--history`, and the
 * disconnect controls for exercising the server. No terminal here: everything goes to the sink.
 */
export function startSubSession(options: SubSessionOptions): SubSession {
  const { flags, sink } = options;
  const now = options.now ?? Date.now;
  const reconnectMs = options.reconnectMs ?? 1000;
  const clientId = options.clientId ?? `sub-${randomBytes(6).toString('hex')}`;
  const client: MqttClient = mqtt.connect(flags.url, {
    clientId,
    username: flags.username,
    password: flags.password,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    // Subscriptions are made again on every connect below (the session is clean).
    resubscribe: false,
    ...options.mqtt,
  });
  const rpc = new RpcClient(clientId, (topic, payload) => client.publish(topic, payload));
  const gate = new HistoryGate((t, history) => sink.trade(t, history));
  if (flags.history === 0) gate.open();
  let historyAsked = false;
  let conn: Connection = { state: 'connecting' };
  let resumeTimer: NodeJS.Timeout | undefined;
  let closing = false;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });

  const setConn = (c: Connection) => {
    conn = c;
    sink.connection(c);
  };
  sink.connection(conn);

  const loadHistory = async () => {
    try {
      const trades = await fetchHistory((m, p) => rpc.call(m, p), flags, flags.history);
      gate.open(trades);
      sink.notice(`history: ${trades.length} trades, live from here`, 'info');
    } catch (err) {
      gate.open();
      if (!closing) sink.notice(`history unavailable: ${(err as Error).message}`, 'error');
    }
  };

  client.on('connect', () => {
    setConn({ state: 'connected' });
    const filters = subFilters(flags);
    if (flags.history > 0) filters.push(rpc.responseTopic);
    client.subscribe(filters, (err) => {
      if (err) return sink.notice(`subscribe failed: ${err.message}`, 'error');
      // Live trades are subscribed (and held) before the history is asked for: nothing falls in between.
      if (flags.history > 0 && !historyAsked) {
        historyAsked = true;
        void loadHistory();
      }
    });
  });
  client.on('reconnect', () => {
    // The last error stays on show while retrying: it is why we are retrying.
    if (!closing)
      setConn({ state: 'reconnecting', error: conn.state === 'reconnecting' ? conn.error : null });
  });
  client.on('close', () => {
    if (!closing && conn.state !== 'paused' && conn.state !== 'reconnecting')
      setConn({ state: 'reconnecting', error: null });
  });
  client.on('error', (err) => {
    if (closing || conn.state === 'paused') return;
    if (conn.state === 'connecting' || conn.state === 'reconnecting')
      setConn({ state: 'reconnecting', error: err.message });
    else sink.notice(`mqtt: ${err.message}`, 'error');
  });
  client.on('message', (topic, payload) => {
    if (topic === rpc.responseTopic) return rpc.handle(parseJson(payload));
    const [kind, source = ''] = topic.split('/');
    if (kind === 'trades') {
      const t = parseJson(payload);
      if (isTrade(t)) gate.live(t);
    } else if (kind === 'status') {
      const body = payload.length === 0 ? null : parseJson(payload);
      if (body === null || typeof body === 'object') sink.status(source, body as SourceStatus | null);
    } else if (kind === 'events') {
      const body = parseJson(payload);
      if (body !== undefined) sink.event(source, body);
    }
  });

  /** Leaves the broker (with a DISCONNECT or without) and comes back after `ms`. */
  const pause = (how: 'graceful' | 'abrupt' | 'drop', ms: number) => {
    clearTimeout(resumeTimer);
    const away = () => {
      if (closing) return;
      clearTimeout(resumeTimer);
      setConn({ state: 'paused', how, until: now() + ms });
      resumeTimer = setTimeout(() => {
        resumeTimer = undefined;
        if (!closing) client.reconnect();
      }, ms);
    };
    if (conn.state === 'paused') return away();
    setConn({ state: 'paused', how, until: null });
    const graceful = how === 'graceful' && client.connected;
    if (!graceful) {
      // A reset, as a pulled cable or a crash looks to the broker: no DISCONNECT, no orderly close.
      const socket = client.stream as unknown as { resetAndDestroy?: () => void };
      if (typeof socket?.resetAndDestroy === 'function') socket.resetAndDestroy();
    }
    client.end(!graceful, away);
  };

  const quit = (): Promise<void> => {
    if (!closing) {
      closing = true;
      clearTimeout(resumeTimer);
      rpc.failAll('closing');
      gate.open();
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        setConn({ state: 'closed' });
        resolveDone(0);
      };
      const force = setTimeout(() => client.end(true, finish), 2000);
      client.end(!client.connected, () => {
        clearTimeout(force);
        finish();
      });
    }
    return done.then(() => undefined);
  };

  const control = (c: Control) => {
    if (closing) return;
    switch (c.kind) {
      case 'graceful':
        sink.notice(`graceful disconnect (MQTT DISCONNECT); back in ${reconnectMs / 1000} s`, 'info');
        return pause('graceful', reconnectMs);
      case 'abrupt':
        sink.notice(
          `abrupt disconnect (socket reset, no DISCONNECT); back in ${reconnectMs / 1000} s`,
          'info',
        );
        return pause('abrupt', reconnectMs);
      case 'drop':
        sink.notice(`connection dropped for ${c.seconds} s (no DISCONNECT)`, 'info');
        return pause('drop', c.seconds * 1000);
      case 'quit':
        void quit();
        return;
      case 'help':
        sink.notice(CONTROLS_HELP, 'info');
    }
  };

  const command = (line: string) => {
    const parsed = parseControl(line);
    if (parsed === null) return;
    if ('error' in parsed) sink.notice(parsed.error, 'error');
    else control(parsed);
  };

  return { clientId, command, control, quit, done };
}
