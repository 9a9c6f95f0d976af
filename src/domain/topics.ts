/**
 * Topic names (CONTRACT §3) and filter matching are defined in `machines/topics.ts`, next to the
 * refcount chart that uses them, so that `machines/` imports nothing from `src/`.
 */
export { topicMatches, topics } from '../../machines/topics.js';

/** Top-level topic segments only the server may publish to (the first level of every `topics` name). */
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
