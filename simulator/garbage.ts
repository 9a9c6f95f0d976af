import { readFileSync } from 'node:fs';

/**
 * A malformed frame for the `garbage` fault. A JSON object carrying a numeric seqnum is
 * renumbered with the connection's next seqnum, so garbage never fakes a gap or a duplicate;
 * anything else (not JSON, not an object, a non-numeric seqnum) goes out verbatim and takes none.
 */
export type GarbageFrame =
  | { readonly numbered: true; readonly before: string; readonly after: string }
  | { readonly numbered: false; readonly text: string };

/** The shared fixture, from `simulator/` in a checkout and from `dist/simulator/` once built. */
const FIXTURE_URLS = [
  new URL('../../shared/fixtures/blockchain-com/bad.jsonl', import.meta.url),
  new URL('../../../shared/fixtures/blockchain-com/bad.jsonl', import.meta.url),
];

const TS = '"timestamp":"2024-01-15T10:30:45.000000Z"';

/** Ours, always present (the fixture may be absent, e.g. in an npm-installed copy). */
export const GENERATED_GARBAGE: readonly string[] = [
  'this is not JSON',
  '{"event":"updated","channel":"trades","symbol":"BTC-USD","timest',
  `{"seqnum":0,"event":"updated","channel":"trades","symbol":"BTC-USD",${TS},"side":"buy","qty":0.5,"price":1e400,"trade_id":"g1"}`,
  `{"seqnum":0,"event":"updated","channel":"trades","symbol":42,"timestamp":1705314645,"side":true,"qty":"1","price":"abc","trade_id":7}`,
  '{"seqnum":0,"event":"exploded","channel":"trades","symbol":"BTC-USD"}',
  '{"seqnum":0,"event":"updated","channel":"trades"}',
  `{"seqnum":0,"event":"updated","channel":"trades","symbol":"BTC-USD",${TS},"side":"buy","qty":0,"price":-5,"trade_id":"g2"}`,
  `{"seqnum":0,"event":"updated","channel":"trades","symbol":"BTC-USD","timestamp":"not a time","side":"buy","qty":1,"price":1,"trade_id":"g3"}`,
  '{"seqnum":"7","event":"updated","channel":"heartbeat"}',
  '{"event":"updated","channel":"heartbeat"}',
  '[{"seqnum":0}]',
  'null',
  '42',
  '',
];

const SEQNUM = /"seqnum"\s*:\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const PROBE = 987_654_321;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Classifies one frame; undefined for a numbered frame whose seqnum cannot be rewritten safely. */
export function classifyGarbage(text: string): GarbageFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { numbered: false, text };
  }
  if (!isObject(value) || typeof value.seqnum !== 'number') return { numbered: false, text };
  const match = SEQNUM.exec(text);
  if (match === null) return undefined;
  const before = `${text.slice(0, match.index)}"seqnum":`;
  const after = text.slice(match.index + match[0].length);
  const probe = JSON.parse(`${before}${PROBE}${after}`) as Record<string, unknown>;
  return probe.seqnum === PROBE ? { numbered: true, before, after } : undefined;
}

/** The frame's text with `seqnum` (ignored by verbatim frames). */
export function renderGarbage(frame: GarbageFrame, seqnum: number): string {
  return frame.numbered ? `${frame.before}${seqnum}${frame.after}` : frame.text;
}

function readFixture(): string[] {
  for (const url of FIXTURE_URLS) {
    try {
      return readFileSync(url, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '');
    } catch {
      // Absent here; try the next place, else the generated frames stand alone.
    }
  }
  return [];
}

let cached: readonly GarbageFrame[] | undefined;

/** The fixture's bad frames (when present) followed by the generated ones; read once. */
export function garbageFrames(): readonly GarbageFrame[] {
  cached ??= [...readFixture(), ...GENERATED_GARBAGE]
    .map(classifyGarbage)
    .filter((frame): frame is GarbageFrame => frame !== undefined);
  return cached;
}
