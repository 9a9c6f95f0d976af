import type { SentTrade } from './accounting.js';
import type { SimulatorStatus } from './controller.js';
import type { Fault, FaultResult } from './faults.js';
import { resolveOptions, type SimulatorOptions } from './options.js';
import { type RunScenarioOptions, runScenario, type Scenario } from './scenario.js';
import { COINBASE_PATH, SimulatorServer } from './server.js';

export interface Simulator {
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** `ws://host:port/ws`: the Blockchain.com Exchange dialect. */
  readonly url: string;
  /** `ws://host:port/coinbase`: the Coinbase Exchange dialect, on the same markets. */
  readonly coinbaseUrl: string;
  /** Closes every client socket and the server; resolves when all are closed. */
  close(): Promise<void>;
  /** Open client connections. */
  connections(): number;
  /** Validates and applies a fault now; throws CONFIG_INVALID naming the bad field. */
  fault(fault: Fault): FaultResult;
  /**
   * Applies a scenario's faults at their times. Rejects at once if it is invalid, with the
   * signal's reason if aborted; resolves after the last fault or when the simulator closes.
   */
  runScenario(scenario: Scenario, options?: RunScenarioOptions): Promise<void>;
  /** Every trade written to a socket, oldest first (empty unless `recordSent`). */
  sent(): readonly SentTrade[];
  /** Connections, subscriptions, armed faults, refusal window and counters. */
  status(): SimulatorStatus;
}

/**
 * Starts an upstream exchange simulator speaking the Blockchain.com Exchange WebSocket dialect
 * (CONTRACT §6) and the Coinbase Exchange one, on the same markets, with fault controls. Throws a
 * CONFIG_INVALID DataServerError naming any bad option.
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
  const run = {
    apply: (fault: Fault) => server.faults.apply(fault),
    stop: server.closingSignal,
    log: server.log,
  };
  return {
    port,
    url: `ws://${host}:${port}/ws`,
    coinbaseUrl: `ws://${host}:${port}${COINBASE_PATH}`,
    close: () => server.close(),
    connections: () => server.connections.size,
    fault: (fault) => server.faults.apply(fault),
    runScenario: (scenario, runOptions) => runScenario(run, scenario, runOptions),
    sent: () => server.sentLog?.toArray() ?? [],
    status: () => server.faults.status(),
  };
}

export { type Counters, createSentLog, SENT_LOG_LIMIT, type SentTrade } from './accounting.js';
export { Connection, type ConnectionStatus, MAX_BUFFERED_BYTES } from './connection.js';
export { FaultController, type SimulatorStatus } from './controller.js';
export {
  BlockchainSession,
  COINBASE_CHANNELS,
  COINBASE_GARBAGE,
  type CoinbaseChannel,
  type CoinbaseFailure,
  type CoinbaseRequest,
  CoinbaseSession,
  createSession,
  DIALECT_NAMES,
  type DialectName,
  type Framed,
  type Link,
  NO_SUBSCRIBE_CLOSE_CODE,
  parseCoinbaseRequest,
  type Session,
  type SessionFactory,
} from './dialects/index.js';
export type { Delivery, HeartbeatEvent, TradeEvent } from './events.js';
export {
  type Clock,
  Exchange,
  type ExchangeOptions,
  FIRST_TRADE_ID,
  type MarketChannel,
  PRODUCT_HEARTBEAT_MS,
  SEQUENCE_LEAD,
  type Subscriber,
  VENUE_HEARTBEAT_MS,
} from './exchange.js';
export {
  FAULT_KINDS,
  type Fault,
  type FaultKind,
  type FaultResult,
  faultSchema,
  type ParsedFault,
  parseFault,
  REPLAY_HISTORY,
} from './faults.js';
export {
  classifyGarbage,
  type GarbageFrame,
  GENERATED_GARBAGE,
  garbageFrames,
  renderGarbage,
} from './garbage.js';
export {
  attachKeyboard,
  KEYBOARD_HELP,
  type Keyboard,
  type KeyboardOptions,
  type KeyboardTarget,
  parseCommand,
} from './keyboard.js';
export { Market, mulberry32, type Random, roundTo, startPrice, type Tick } from './market.js';
export type { ResolvedOptions, SimulatorOptions } from './options.js';
export {
  AUTH_FAILED,
  type Body,
  formatTimestamp,
  frame,
  parseRequest,
  type Rejection,
  type Request,
  type WireTrade,
} from './protocol.js';
export { Ring } from './ring.js';
export {
  loadScenario,
  type ParsedScenario,
  parseScenario,
  type RunScenarioOptions,
  type Scenario,
  scenarioSchema,
} from './scenario.js';
export { COINBASE_PATH, DIALECT_PATHS, SimulatorServer, WS_PATHS } from './server.js';
