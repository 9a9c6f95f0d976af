import type { Trade } from '../domain/index.js';
import type { SourceStatus } from '../runtime/index.js';
import { paint, type Seg, type Style, safeText, seg } from './sub-ansi.js';
import type { Connection } from './sub-model.js';

/** Colour of a connector state: green when flowing, yellow on the way, red when it gave up. */
export function stateStyle(state: string): Style | undefined {
  if (state === 'subscribed') return 'green';
  if (state === 'failed' || state === 'stopped') return 'red';
  if (['backoff', 'connecting', 'subscribing', 'resubscribing', 'reconnecting'].includes(state))
    return 'yellow';
  return undefined;
}

/** `3.2 s` until `at`; `now` once it is due. */
export function countdown(at: number, now: number): string {
  const ms = at - now;
  return ms <= 0 ? 'now' : `in ${(ms / 1000).toFixed(1)} s`;
}

/** `11:30:06.100` from the venue's timestamp text; the text itself if it has no time of day. */
export function timeOfDay(timestamp: string): string {
  const m = /T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)/.exec(timestamp);
  return m?.[1] ?? timestamp;
}

/** The urgent parts of a status line after the source name: state, attempt, retry countdown, error. */
export function statusSegs(s: SourceStatus, now: number): Seg[] {
  const segs: Seg[] = [seg(s.state, stateStyle(s.state)), seg(`  attempt ${s.attempt}`)];
  const retryAt = s.nextRetryAt ? Date.parse(s.nextRetryAt) : Number.NaN;
  if (Number.isFinite(retryAt)) segs.push(seg(`  retry ${countdown(retryAt, now)}`, 'yellow'));
  if (s.lastError && s.state !== 'subscribed') segs.push(seg(`  ${s.lastError}`, 'red'));
  return segs;
}

/** A status's symbols and their states, `BTC-USD subscribed, ETH-USD idle` (the least urgent part: last). */
export function symbolsText(s: SourceStatus): string {
  return Object.entries(s.symbols ?? {})
    .map(([sym, st]) => `${sym} ${st}`)
    .join(', ');
}

/** What the header says about the client's own connection. */
export function connectionSegs(c: Connection, now: number): Seg[] {
  switch (c.state) {
    case 'connecting':
      return [seg('● connecting…', 'yellow')];
    case 'connected':
      return [seg('● connected', 'green')];
    case 'reconnecting':
      return [seg('● reconnecting…', 'yellow'), ...(c.error ? [seg(` (${c.error})`, 'dim')] : [])];
    case 'paused': {
      const back = c.until === null ? '' : `, back ${countdown(c.until, now)}`;
      const how = c.how === 'graceful' ? 'graceful' : c.how === 'abrupt' ? 'abrupt' : 'dropped';
      return [seg(`● disconnected by you (${how})${back}`, 'magenta')];
    }
    case 'closed':
      return [seg('● closed', 'dim')];
  }
}

const join = (segs: Seg[], color: boolean) =>
  segs.map((s) => paint(s.style, safeText(s.text), color)).join('');

/** One line for a trade in `--lines` mode. */
export function formatTrade(t: Trade, color: boolean): string {
  const side = t.side === 'buy' ? paint('green', 'BUY ', color) : paint('red', 'SELL', color);
  const head = safeText(`${t.timestamp}  ${t.source.padEnd(10)} ${t.symbol.padEnd(9)}`);
  return `${head} ${side} ${String(t.qty).padStart(12)} @ ${t.price}`;
}

/** One line for a source status in `--lines` mode (the retry time is absolute: lines are not redrawn). */
export function formatStatus(s: SourceStatus, color: boolean): string {
  const symbols = symbolsText(s);
  const retry = s.nextRetryAt ? ` retry at ${s.nextRetryAt}` : '';
  const error = s.lastError && s.state !== 'subscribed' ? ` (${s.lastError})` : '';
  return join(
    [
      seg('[status] ', 'cyan'),
      seg(`${s.source}: `, 'cyan'),
      seg(s.state, stateStyle(s.state) ?? 'cyan'),
      seg(` attempt ${s.attempt}${retry}${error} — ${symbols || 'no symbols'}`, 'cyan'),
    ],
    color,
  );
}

/** A short text for an `events/{source}` notification's params (reason, symbol, …). */
export function eventDetail(params: unknown): string {
  if (typeof params !== 'object' || params === null) return '';
  const p = params as Record<string, unknown>;
  return ['reason', 'symbol', 'expected', 'received', 'missed']
    .filter((k) => p[k] !== undefined && p[k] !== null)
    .map((k) => (k === 'reason' ? String(p[k]) : `${k} ${String(p[k])}`))
    .join(', ');
}

/** One line for an `events/{source}` notification in `--lines` mode. */
export function formatEvent(source: string, method: string, detail: string, color: boolean): string {
  return join(
    [seg('[event] ', 'magenta'), seg(`${source}: ${method}${detail ? ` (${detail})` : ''}`)],
    color,
  );
}
