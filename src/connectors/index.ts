export { blockchainDialect } from './blockchain/index.js';
export { coinbaseDialect } from './coinbase/index.js';
export type { Dialect, DialectContext, DialectSession, FrameSink } from './dialect.js';
export { dialectFor, dialects } from './registry.js';
export { type Backpressure, createWsTransport, type TransportDeps } from './ws-transport.js';
