import { isServerOnlyTopic } from '../domain/index.js';

/**
 * Who may publish and read what (CONTRACT §3). Pure functions of (client id, topic), used by the
 * broker's Aedes hooks. `rpc/{clientId}/…` belongs to that client alone: it may publish its
 * `request` and read its `response`; nobody else may do either, wildcards included.
 */

/** The client id an `rpc/{id}/…` topic belongs to, or undefined for other topics. */
export function rpcOwner(topic: string): string | undefined {
  if (!topic.startsWith('rpc/')) return undefined;
  const end = topic.indexOf('/', 4);
  return end === -1 ? topic.slice(4) : topic.slice(4, end);
}

export type PublishVerdict = 'allow' | 'server-topic' | 'foreign-rpc';

/** A client's publish: market data and status topics are the server's, rpc only to its own request topic. */
export function clientMayPublish(clientId: string, topic: string): PublishVerdict {
  if (isServerOnlyTopic(topic)) return 'server-topic';
  if (topic.startsWith('rpc/') && topic !== `rpc/${clientId}/request`) return 'foreign-rpc';
  return 'allow';
}

/**
 * A subscription filter naming another client's rpc topics is refused outright. Wildcard
 * filters that merely could match them (`#`, `rpc/+/response`) are accepted, and delivery is
 * filtered per message instead (`mayReceive`).
 */
export function clientMaySubscribe(clientId: string, filter: string): boolean {
  if (!filter.startsWith('rpc/')) return true;
  const owner = rpcOwner(filter);
  return owner === clientId || owner === '+' || owner === '#';
}

/**
 * Whether a message on `topic`, published by client `publisher` (undefined: by the server), may be
 * delivered to client `clientId`. Runs per delivery, so the common case (a trade) costs one test.
 */
export function mayReceive(clientId: string, topic: string, publisher: string | undefined): boolean {
  if (publisher === undefined) return !topic.startsWith('rpc/') || rpcOwner(topic) === clientId;
  if (isServerOnlyTopic(topic)) return false;
  if (topic.startsWith('rpc/')) {
    const owner = rpcOwner(topic);
    return owner === clientId && publisher === owner;
  }
  return true;
}
