export { clientMayPublish, clientMaySubscribe, mayReceive, rpcOwner } from './acl.js';
export { createAuth, filterCovers, isTopicFilter, type MqttAuth, type MqttAuthConfig } from './auth.js';
export {
  type BrokerListeners,
  type BrokerOptions,
  DEFAULT_LIMITS,
  type EmbeddedBroker,
  startBroker,
} from './broker.js';
export { PublishFlow } from './flow.js';
export type { BrokerAuth, BrokerLimits, BrokerStats } from './hooks.js';
export { handleRpc, method, RpcError, RpcErrorCode, type RpcMethod } from './jsonrpc.js';
export { guardPacketSize, PacketSizeMeter } from './packet-guard.js';
export { hashPassword, verifyPassword } from './password.js';
