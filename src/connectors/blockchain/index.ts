import { type Dialect, sameSymbol } from '../dialect.js';
import { authFrame, subscribeFrame, unsubscribeFrame } from './encode.js';
import { BlockchainParser } from './parse.js';

/** The Blockchain.com Exchange WebSocket dialect ("mercury gateway"). */
export const blockchainDialect: Dialect = {
  kind: 'blockchain',
  // The real API refuses upgrades without this Origin.
  headers: { Origin: 'https://exchange.blockchain.com' },
  createSession({ sourceId, token, sink, now, toTopic = sameSymbol, toVenue = sameSymbol }) {
    const parser = new BlockchainParser(sourceId, sink, now, toTopic);
    return {
      // Trades are public; the auth channel is only joined when a token is configured.
      opening: () =>
        token ? [authFrame(token), subscribeFrame('heartbeat')] : [subscribeFrame('heartbeat')],
      subscribe: (symbols) => symbols.map((s) => subscribeFrame('trades', toVenue(s))),
      unsubscribe: (symbols) => symbols.map((s) => unsubscribeFrame('trades', toVenue(s))),
      parse: (frame) => parser.parse(frame),
    };
  },
};

export { BlockchainParser } from './parse.js';
