export { type BackoffPolicy, backoffDelay } from './backoff.js';
export {
  type ConnectorContext,
  type ConnectorEmitted,
  type ConnectorEvent,
  type ConnectorInput,
  connectorMachine,
  type SymbolState,
} from './connector.machine.js';
export { type DemandSource, demandBySource, heldPairs, pairKey } from './demand.js';
export {
  type DemandChanged,
  type SubscriptionsContext,
  type SubscriptionsEvent,
  type SubscriptionsInput,
  subscriptionsMachine,
} from './subscriptions.machine.js';
export {
  type SupervisedSource,
  type SupervisorContext,
  type SupervisorEvent,
  type SupervisorInput,
  supervisorMachine,
} from './supervisor.machine.js';
