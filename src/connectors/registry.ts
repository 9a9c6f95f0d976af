import { DataServerError } from '../domain/index.js';
import { blockchainDialect } from './blockchain/index.js';
import { coinbaseDialect } from './coinbase/index.js';
import type { Dialect } from './dialect.js';

/** Every dialect DataServer speaks, by the `kind` a source names in its config. */
export const dialects: Readonly<Record<string, Dialect>> = {
  blockchain: blockchainDialect,
  coinbase: coinbaseDialect,
};

export function dialectFor(kind: string): Dialect {
  const dialect = dialects[kind];
  if (!dialect) {
    throw new DataServerError(
      'UNKNOWN_DIALECT',
      `unknown source kind "${kind}" (known: ${Object.keys(dialects).join(', ')})`,
    );
  }
  return dialect;
}
