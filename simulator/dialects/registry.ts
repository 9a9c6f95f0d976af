import { BlockchainSession } from './blockchain.js';
import { CoinbaseSession } from './coinbase.js';
import type { DialectName, Link, Session, SessionFactory } from './dialect.js';

/** One line per dialect the simulator speaks. */
const SESSIONS: Readonly<Record<DialectName, SessionFactory>> = {
  blockchain: (link) => new BlockchainSession(link),
  coinbase: (link) => new CoinbaseSession(link),
};

export function createSession(dialect: DialectName, link: Link): Session {
  return SESSIONS[dialect](link);
}
