import { resolveOptions, type SimulatorOptions } from './options.js';
import { SimulatorServer } from './server.js';

export interface Simulator {
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** `ws://host:port/ws` */
  readonly url: string;
  /** Closes every client socket and the server; resolves when all are closed. */
  close(): Promise<void>;
  /** Open client connections. */
  connections(): number;
}

/**
 * Starts an upstream exchange simulator speaking the Blockchain.com Exchange WebSocket dialect
 * (CONTRACT §6). Throws a CONFIG_INVALID DataServerError naming any bad option.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const resolved = resolveOptions(options);
  const server = new SimulatorServer(resolved);
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    await server.close();
    throw err;
  }
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  return {
    port,
    url: `ws://${host}:${port}/ws`,
    close: () => server.close(),
    connections: () => server.connections.size,
  };
}

export { Connection, MAX_BUFFERED_BYTES } from './connection.js';
export { type Clock, Exchange, type ExchangeOptions, FIRST_TRADE_ID, type Subscriber } from './exchange.js';
export { Market, mulberry32, type Random, roundTo, startPrice, type Tick } from './market.js';
export type { ResolvedOptions, SimulatorOptions } from './options.js';
export {
  type Body,
  formatTimestamp,
  frame,
  parseRequest,
  type Rejection,
  type Request,
  type WireTrade,
} from './protocol.js';
export { SimulatorServer, WS_PATHS } from './server.js';
