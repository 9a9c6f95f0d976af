/** Display formats: local wall-clock time with milliseconds, prices and quantities. */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `14:03:07.123` in local time; the venue text itself when it does not parse. */
export function clockTime(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return timestamp;
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

const priceFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const smallPriceFormat = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });
const qtyFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 });

export function price(value: number): string {
  return Math.abs(value) >= 1 ? priceFormat.format(value) : smallPriceFormat.format(value);
}

export function qty(value: number): string {
  return qtyFormat.format(value);
}

/** `3.2 s` until `at` (ISO), or `now` once it has passed. */
export function countdown(at: string, now = Date.now()): string {
  const left = Date.parse(at) - now;
  if (Number.isNaN(left)) return '';
  return left <= 0 ? 'now' : `${(left / 1000).toFixed(1)} s`;
}
