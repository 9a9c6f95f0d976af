let lastMs = Number.NaN;
let lastIso = '';

/**
 * The current time as ISO-8601 UTC text with milliseconds, formatted once per millisecond:
 * at high rates many trades share one, and each would otherwise allocate a Date and a string.
 */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
