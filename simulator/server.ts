import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { createSentLog, type SentTrade } from './accounting.js';
import { Connection, type ConnectionContext } from './connection.js';
import { handleControl } from './control-http.js';
import { FaultController } from './controller.js';
import type { DialectName } from './dialects/dialect.js';
import { Exchange } from './exchange.js';
import type { ResolvedOptions } from './options.js';
import type { Ring } from './ring.js';

/** `/ws` for us; `/mercury-gateway/v1/ws` is the real API's path, so its URL works unchanged. */
export const WS_PATHS: ReadonlySet<string> = new Set(['/ws', '/mercury-gateway/v1/ws']);
/** The Coinbase Exchange dialect's path. */
export const COINBASE_PATH = '/coinbase';
/** Every WebSocket path, with the dialect it speaks. */
export const DIALECT_PATHS: ReadonlyMap<string, DialectName> = new Map([
  ...[...WS_PATHS].map((path) => [path, 'blockchain'] as const),
  [COINBASE_PATH, 'coinbase'],
]);

/** How long a client gets to answer our close frame before its socket is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Requests are tiny; this bounds what one frame can make us buffer. */
const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * The HTTP server carrying the WebSocket endpoint. Plain HTTP requests are routed in
 * `handleHttp` to the control routes (fault injection).
 */
export class SimulatorServer {
  readonly exchange: Exchange;
  readonly connections = new Set<Connection>();
  readonly faults: FaultController;
  /** Present when `recordSent` is on. */
  readonly sentLog: Ring<SentTrade> | undefined;
  /** Aborted when the server starts closing, so scenario timers stop with it. */
  private readonly closingController = new AbortController();
  private readonly context: ConnectionContext;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  readonly log: Logger;
  private nextConnectionId = 1;
  private closing: Promise<void> | undefined;
  /** The paths served, of the dialects enabled. */
  private readonly paths: ReadonlyMap<string, DialectName>;

  constructor(private readonly options: ResolvedOptions) {
    this.log = options.logger ?? pino({ level: 'silent' });
    const { heartbeatIntervalMs, subscribeTimeoutMs } = options;
    this.exchange = new Exchange({ ...options, productHeartbeatIntervalMs: heartbeatIntervalMs });
    this.faults = new FaultController(this.connections, this.exchange, this.log);
    this.sentLog = options.recordSent ? createSentLog() : undefined;
    this.paths = new Map([...DIALECT_PATHS].filter(([, dialect]) => options.dialects.includes(dialect)));
    const { exchange, faults, sentLog } = this;
    this.context = { exchange, armed: faults, counters: faults.counters, sentLog, subscribeTimeoutMs };
    this.wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_PAYLOAD_BYTES });
    this.http = createServer((req, res) => this.handleHttp(req, res));
    this.http.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
  }

  /** Binds the port; resolves with the port actually bound. */
  listen(): Promise<number> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        this.http.on('error', (err) => this.log.error({ err }, 'http server error'));
        const bound = (this.http.address() as AddressInfo).port;
        this.log.info({ host, port: bound, paths: Object.fromEntries(this.paths) }, 'simulator listening');
        resolve(bound);
      });
    });
  }

  /** Closes every client socket (1001 "going away"), then the server. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Aborted once `close()` is called. */
  get closingSignal(): AbortSignal {
    return this.closingController.signal;
  }

  private async shutdown(): Promise<void> {
    this.closingController.abort();
    this.faults.close();
    this.exchange.close();
    await Promise.all(
      [...this.connections].map((c) => c.close(1001, 'Simulator shutting down', CLOSE_GRACE_MS)),
    );
    this.wss.close();
    if (this.http.listening) {
      await new Promise<void>((resolve, reject) => {
        this.http.close((err) => (err ? reject(err) : resolve()));
        this.http.closeAllConnections();
      });
    }
    this.log.info('simulator closed');
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    handleControl(req, res, this.faults).catch((err: unknown) => {
      this.log.error({ err }, 'control request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'Internal error' }));
    });
  }

  /** The HTTP status refusing this upgrade, if it is refused. */
  private refusal(path: string): string | undefined {
    if (this.closing !== undefined) return '503 Service Unavailable';
    if (!this.paths.has(path)) return '404 Not Found';
    return this.faults.refuseAttempt() ? '503 Service Unavailable' : undefined;
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const refusal = this.refusal(path);
    if (refusal !== undefined) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const dialect = this.paths.get(path) ?? 'blockchain';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const id = this.nextConnectionId++;
      const log = this.log.child({ conn: id });
      this.faults.counters.connectionsOpened++;
      const connection = new Connection(id, ws, this.context, log, dialect);
      this.connections.add(connection);
      void connection.done.then(() => this.connections.delete(connection));
      log.info({ path, dialect, remote: req.socket.remoteAddress }, 'connection opened');
    });
  }
}
