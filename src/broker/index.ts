export {
  type BrokerListeners,
  type BrokerOptions,
  type BrokerStats,
  type EmbeddedBroker,
  startBroker,
} from './broker.js';
