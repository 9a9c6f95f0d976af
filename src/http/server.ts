import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { describeError } from '../domain/index.js';
import type { HttpContext } from './context.js';
import { problem, type Reply, write } from './respond.js';
import { type Method, type Route, routes } from './routes.js';

export interface HttpServerOptions<S extends { id: string }> {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  context: HttpContext<S>;
  /** How long `close()` lets requests in flight finish before cutting their connections. */
  closeGraceMs?: number;
}

export interface HttpServer {
  /** The port actually bound. */
  readonly port: number;
  /** Stops accepting at once, lets requests in flight finish (bounded), then resolves. Idempotent. */
  close(): Promise<void>;
}

/** Finds the handler, or the 404 / 405 (with `Allow`) answer. HEAD is GET without a body. */
function dispatch(table: Route[], req: IncomingMessage, url: URL): Reply | Promise<Reply> {
  for (const route of table) {
    let params: string[] = [];
    if (typeof route.path === 'string') {
      if (route.path !== url.pathname) continue;
    } else {
      const match = route.path.exec(url.pathname);
      if (!match) continue;
      try {
        params = match.slice(1).map((p) => decodeURIComponent(p ?? ''));
      } catch {
        return problem(400, `bad percent-encoding in ${url.pathname}`);
      }
    }
    const method = (req.method === 'HEAD' ? 'GET' : req.method) as Method;
    const handler = Object.hasOwn(route.methods, method) ? route.methods[method] : undefined;
    if (!handler) {
      const allow = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      return problem(405, `${req.method} not allowed on ${url.pathname}`, {}, { allow: allow.join(', ') });
    }
    return handler(req, url, params);
  }
  return problem(404, `no route ${url.pathname}`);
}

/**
 * The operations and REST endpoint (CONTRACT §5) on node:http. Every handler failure becomes a
 * logged 500: a client can never take the process down.
 */
export async function startHttpServer<S extends { id: string }>(
  options: HttpServerOptions<S>,
): Promise<HttpServer> {
  const log = options.logger.child({ component: 'http' });
  let port = 0;
  const table = routes(options.context, () => port);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let reply: Reply;
    try {
      // The path is appended to a fixed origin, so `//host/x` stays a path and never becomes a host.
      const url = new URL(`http://localhost${req.url ?? '/'}`);
      reply = await dispatch(table, req, url);
    } catch (err) {
      if (err instanceof TypeError && (err as { code?: string }).code === 'ERR_INVALID_URL') {
        reply = problem(400, 'malformed request target');
      } else {
        log.error({ err, method: req.method, url: req.url }, 'HTTP handler failed');
        reply = problem(500, 'internal error');
      }
    }
    log.debug({ method: req.method, url: req.url, status: reply.status }, 'HTTP request');
    write(res, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'HTTP response failed');
      res.destroy();
    });
  });
  // Malformed HTTP from a client: answer 400 and drop that connection only.
  server.on('clientError', (err, socket) => {
    log.debug({ err: describeError(err) }, 'HTTP client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  try {
    server.listen(options.port, options.host);
    await once(server, 'listening');
  } catch (err) {
    server.close();
    throw new Error(`HTTP server cannot listen on ${options.host}:${options.port}: ${describeError(err)}`, {
      cause: err,
    });
  }
  port = (server.address() as AddressInfo).port;
  log.info({ host: options.host, port }, 'HTTP listening');

  const graceMs = options.closeGraceMs ?? 1000;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          log.info('HTTP closed');
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
