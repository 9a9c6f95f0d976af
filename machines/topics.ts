/**
 * MQTT topic names of CONTRACT §3: the only place topic strings are spelled. They live next to the
 * charts because the refcount chart turns topic filters into demand; `src/domain` re-exports them.
 */
export const topics = {
  trades: (source: string, symbol: string): string => `trades/${source}/${symbol}`,
  status: (source: string): string => `status/${source}`,
  events: (source: string): string => `events/${source}`,
  machine: (actorId: string): string => `machines/${actorId}`,
  serverStatus: 'dataserver/status',
  rpcRequest: (clientId: string): string => `rpc/${clientId}/request`,
  rpcResponse: (clientId: string): string => `rpc/${clientId}/response`,
} as const;

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
