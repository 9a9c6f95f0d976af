/**
 * A symbol (`BTC-USD`) is one MQTT topic level: no `/`, and none of the wildcards `+` `#`
 * that MQTT-4.7.1 forbids in topic names. Config, upstream frames and the CLI all use this.
 */
export const SYMBOL_PATTERN = /^[A-Za-z0-9._-]+$/;

export const SYMBOL_RULE = 'a symbol may contain only letters, digits, ".", "_" and "-"';

export function isSymbol(s: unknown): s is string {
  return typeof s === 'string' && SYMBOL_PATTERN.test(s);
}

/** A source id is one topic level too, kept lowercase so topics are predictable. */
export const SOURCE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export const SOURCE_ID_RULE = 'an id is lowercase letters, digits, "_" or "-" (it is a topic level)';
