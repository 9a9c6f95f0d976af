export { BlockchainSession } from './blockchain.js';
export { CoinbaseSession, NO_SUBSCRIBE_CLOSE_CODE } from './coinbase.js';
export {
  COINBASE_CHANNELS,
  COINBASE_GARBAGE,
  type CoinbaseChannel,
  type CoinbaseFailure,
  type CoinbaseRequest,
  errorMessage,
  heartbeatMessage,
  isFailure,
  matchMessage,
  orderId,
  parseCoinbaseRequest,
  subscriptionsMessage,
} from './coinbase-wire.js';
export {
  DIALECT_NAMES,
  type DialectName,
  type Framed,
  type Link,
  type Session,
  type SessionFactory,
} from './dialect.js';
export { createSession } from './registry.js';
