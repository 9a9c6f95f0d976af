import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { Connection } from './connection.js';
import { Exchange } from './exchange.js';
import type { ResolvedOptions } from './options.js';

/** `/ws` for us; `/mercury-gateway/v1/ws` is the real API's path, so its URL works unchanged. */
export const WS_PATHS: ReadonlySet<string> = new Set(['/ws', '/mercury-gateway/v1/ws']);

/** How long a client gets to answer our close frame before its socket is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Requests are tiny; this bounds what one frame can make us buffer. */
const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * The HTTP server carrying the WebSocket endpoint. Plain HTTP requests are routed in
 * `handleHttp`, where control routes (fault injection) belong.
 */
export class SimulatorServer {
  readonly exchange: Exchange;
  readonly connections = new Set<Connection>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly log: Logger;
  private nextConnectionId = 1;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ResolvedOptions) {
    this.log = options.logger ?? pino({ level: 'silent' });
    this.exchange = new Exchange(options);
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
        this.log.info({ host, port: bound, paths: [...WS_PATHS] }, 'simulator listening');
        resolve(bound);
      });
    });
  }

  /** Closes every client socket (1001 "going away"), then the server. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
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

  private handleHttp(_req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Not found' }));
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    if (this.closing !== undefined || !WS_PATHS.has(path)) {
      const status = this.closing !== undefined ? '503 Service Unavailable' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const id = this.nextConnectionId++;
      const log = this.log.child({ conn: id });
      const connection = new Connection(id, ws, this.exchange, log);
      this.connections.add(connection);
      void connection.done.then(() => this.connections.delete(connection));
      log.info({ path, remote: req.socket.remoteAddress }, 'connection opened');
    });
  }
}
