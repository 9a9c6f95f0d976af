import { topicMatches, topics } from './topics.js';

/** What the refcount actor knows of a source. */
export interface DemandSource {
  id: string;
  symbols: readonly string[];
  alwaysOn: boolean;
  lingerMs: number;
}

/** `source/symbol`: neither part may contain `/` (both are single topic levels). */
export type PairKey = string;

export const pairKey = (source: string, symbol: string): PairKey => `${source}/${symbol}`;

export function splitPair(key: PairKey): [source: string, symbol: string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Every (source, symbol) some client's filter matches on `trades/{source}/{symbol}` (CONTRACT §4). */
export function heldPairs(
  sources: Readonly<Record<string, DemandSource>>,
  filters: Readonly<Record<string, readonly string[]>>,
): Set<PairKey> {
  const allFilters = new Set<string>();
  for (const list of Object.values(filters)) for (const f of list) allFilters.add(f);
  const held = new Set<PairKey>();
  if (allFilters.size === 0) return held;
  for (const source of Object.values(sources)) {
    for (const symbol of source.symbols) {
      const topic = topics.trades(source.id, symbol);
      for (const f of allFilters) {
        if (topicMatches(f, topic)) {
          held.add(pairKey(source.id, symbol));
          break;
        }
      }
    }
  }
  return held;
}

/** Per source, the sorted symbols to keep subscribed upstream. */
export function demandBySource(
  sources: Readonly<Record<string, DemandSource>>,
  keep: ReadonlySet<PairKey>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const source of Object.values(sources)) {
    out[source.id] = source.symbols.filter((s) => source.alwaysOn || keep.has(pairKey(source.id, s))).sort();
  }
  return out;
}

export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
