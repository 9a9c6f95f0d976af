import { type Dialect, sameSymbol } from '../dialect.js';
import { heartbeatFrame, subscribeFrame, unsubscribeFrame } from './encode.js';
import { type CoinbaseOptions, CoinbaseParser } from './parse.js';

/** The Coinbase Exchange WebSocket dialect (public `matches` channel); `options` for other feeds. */
export function createCoinbaseDialect(options: CoinbaseOptions = {}): Dialect {
  return {
    kind: 'coinbase',
    // The public feed needs no header; the token is ignored (no authenticated channel is used).
    headers: {},
    createSession({ sourceId, sink, now, symbols, toTopic = sameSymbol, toVenue = sameSymbol }) {
      // Inside the session everything is in the venue's product ids; topics only at the sink.
      const parser = new CoinbaseParser(sourceId, sink, now, options, toTopic);
      const venue = (topics: readonly string[]) => topics.map(toVenue);
      return {
        // Heartbeats for every offered product at once: Coinbase closes a connection that sends no
        // subscribe within 5 s, and a source with no demand yet must still stay up and watched.
        opening: () => (symbols.length > 0 ? [heartbeatFrame(venue(symbols))] : []),
        subscribe: (topics) => {
          if (topics.length === 0) return [];
          parser.subscriptions.requested(venue(topics));
          return [subscribeFrame(venue(topics))];
        },
        unsubscribe: (topics) => {
          if (topics.length === 0) return [];
          parser.subscriptions.released(venue(topics));
          return [unsubscribeFrame(venue(topics))];
        },
        parse: (frame) => parser.parse(frame),
      };
    },
  };
}

export const coinbaseDialect: Dialect = createCoinbaseDialect();

export { type CoinbaseOptions, CoinbaseParser, type GapSignal } from './parse.js';
export { SubscriptionTracker } from './subscriptions.js';
