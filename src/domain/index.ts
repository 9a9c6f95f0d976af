export type {
  TransportCommand,
  TransportEvent,
  TransportInput,
  UpstreamControl,
} from './connector-events.js';
export { DataServerError, describeError, type ErrorCode, ErrorCodes } from './errors.js';
export { isServerOnlyTopic, SERVER_ONLY_PREFIXES, topicMatches, topics } from './topics.js';
export { type Side, TRADE_FIELDS, type Trade, tradeToJson } from './trade.js';
