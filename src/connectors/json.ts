import type { FrameSink } from './dialect.js';

export type JsonObject = Record<string, unknown>;

/**
 * Parses an upstream text frame that must be a JSON object; anything else is reported to the
 * sink as bad (`invalid_json`, `not_an_object`) and null is returned. Never throws.
 */
export function parseObjectFrame(frame: string, sink: Pick<FrameSink, 'bad'>): JsonObject | null {
  let msg: unknown;
  try {
    msg = JSON.parse(frame);
  } catch {
    sink.bad('invalid_json', frame);
    return null;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    sink.bad('not_an_object', frame);
    return null;
  }
  return msg as JsonObject;
}
