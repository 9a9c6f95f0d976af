export type {
  TransportCommand,
  TransportEvent,
  TransportInput,
  UpstreamControl,
} from './connector-events.js';
export { DataServerError, describeError, type ErrorCode, ErrorCodes } from './errors.js';
export { firstIssue } from './issues.js';
export { isSymbol, SOURCE_ID_PATTERN, SOURCE_ID_RULE, SYMBOL_PATTERN, SYMBOL_RULE } from './symbols.js';
export { isServerOnlyTopic, SERVER_ONLY_PREFIXES, topicMatches, topics } from './topics.js';
export { type Side, type Trade, TradeJsonWriter, tradeToJson } from './trade.js';
