import type { Dialect } from '../dialect.js';
import { heartbeatFrame, subscribeFrame, unsubscribeFrame } from './encode.js';
import { type CoinbaseOptions, CoinbaseParser } from './parse.js';

/** The Coinbase Exchange WebSocket dialect (public `matches` channel); `options` for other feeds. */
export function createCoinbaseDialect(options: CoinbaseOptions = {}): Dialect {
  return {
    kind: 'coinbase',
    // The public feed needs no header; the token is ignored (no authenticated channel is used).
    headers: {},
    createSession({ sourceId, sink, now, symbols }) {
      const parser = new CoinbaseParser(sourceId, sink, now, options);
      return {
        // Heartbeats for every offered product at once: Coinbase closes a connection that sends no
        // subscribe within 5 s, and a source with no demand yet must still stay up and watched.
        opening: () => (symbols.length > 0 ? [heartbeatFrame(symbols)] : []),
        subscribe: (symbols) => {
          if (symbols.length === 0) return [];
          parser.subscriptions.requested(symbols);
          return [subscribeFrame(symbols)];
        },
        unsubscribe: (symbols) => {
          if (symbols.length === 0) return [];
          parser.subscriptions.released(symbols);
          return [unsubscribeFrame(symbols)];
        },
        parse: (frame) => parser.parse(frame),
      };
    },
  };
}

export const coinbaseDialect: Dialect = createCoinbaseDialect();

export { type CoinbaseOptions, CoinbaseParser, type GapSignal } from './parse.js';
export { SubscriptionTracker } from './subscriptions.js';
