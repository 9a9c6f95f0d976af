/** MQTT topic names of CONTRACT §3. The only place topic strings are spelled. */
export const topics = {
  trades: (source: string, symbol: string): string => `trades/${source}/${symbol}`,
  status: (source: string): string => `status/${source}`,
  events: (source: string): string => `events/${source}`,
  machine: (actorId: string): string => `machines/${actorId}`,
  serverStatus: 'dataserver/status',
  rpcRequest: (clientId: string): string => `rpc/${clientId}/request`,
  rpcResponse: (clientId: string): string => `rpc/${clientId}/response`,
} as const;

/** Top-level topic segments only the server may publish to. */
export const SERVER_ONLY_PREFIXES: readonly string[] = [
  'trades',
  'status',
  'events',
  'machines',
  'dataserver',
];

/** True when `topic` is one a client may not publish to. */
export function isServerOnlyTopic(topic: string): boolean {
  const first = topic.split('/', 1)[0] ?? '';
  return SERVER_ONLY_PREFIXES.includes(first);
}

/**
 * MQTT topic-filter match (MQTT-4.7.1): `+` matches one level, a trailing `#` matches the rest,
 * including the parent level itself. Filters starting with a wildcard never match topics starting
 * with `$` (MQTT-4.7.2-1).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}
