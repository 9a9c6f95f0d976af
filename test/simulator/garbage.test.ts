import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyGarbage, GENERATED_GARBAGE, garbageFrames, renderGarbage } from '../../simulator/index.js';
import { parseOrUndefined } from './helpers.js';

const seqnumOf = (text: string): unknown => (parseOrUndefined(text) as { seqnum?: unknown } | null)?.seqnum;

describe('garbage frames', () => {
  it('renumbers a JSON object with a numeric seqnum and leaves the rest of it untouched', () => {
    const text = '{"seqnum":12,"event":"updated","channel":"trades","symbol":"BTC-USD","price":1e400}';
    const frame = classifyGarbage(text);
    expect(frame?.numbered).toBe(true);
    expect(renderGarbage(frame!, 41)).toBe(text.replace('12', '41'));
  });

  it.each([
    ['truncated JSON', '{"seqnum":6,"event":"updated","channel":"trades","symbol":"BTC-USD"'],
    ['an array', '[{"seqnum":0}]'],
    ['null', 'null'],
    ['a string seqnum', '{"seqnum":"fourteen","event":"updated","channel":"heartbeat"}'],
    ['no seqnum', '{"event":"updated"}'],
    ['an empty frame', ''],
  ])('sends %s verbatim, taking no seqnum', (_name, text) => {
    const frame = classifyGarbage(text);
    expect(frame).toEqual({ numbered: false, text });
    expect(renderGarbage(frame!, 99)).toBe(text);
  });

  it('has a built-in set, usable without the fixture, covering the malformed kinds', () => {
    const frames = GENERATED_GARBAGE.map(classifyGarbage);
    expect(frames.every((f) => f !== undefined)).toBe(true);
    const numbered = frames.filter((f) => f?.numbered);
    expect(numbered.length).toBeGreaterThan(3);
    for (const f of numbered) expect(seqnumOf(renderGarbage(f!, 5))).toBe(5);
    expect(GENERATED_GARBAGE.some((t) => parseOrUndefined(t) === undefined)).toBe(true);
    expect(GENERATED_GARBAGE.some((t) => t.includes('1e400'))).toBe(true);
    expect(GENERATED_GARBAGE.some((t) => t.includes('"event":"exploded"'))).toBe(true);
  });

  const fixture = new URL('../../../shared/fixtures/blockchain-com/bad.jsonl', import.meta.url);
  it.skipIf(!existsSync(fixture))('uses the shared fixture when it is there, then the built-in set', () => {
    const texts = garbageFrames().map((f) => renderGarbage(f, 0));
    expect(texts).toContain('not json at all');
    expect(texts.slice(-GENERATED_GARBAGE.length)).toEqual(
      GENERATED_GARBAGE.map((t) => renderGarbage(classifyGarbage(t)!, 0)),
    );
  });
});
