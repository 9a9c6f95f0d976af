import { type Trade, topics } from '../domain/index.js';
import { paint } from './sub-ansi.js';
import { eventDetail, formatEvent, formatStatus, formatTrade } from './sub-format.js';
import type { Connection } from './sub-model.js';
import type { SubSink } from './sub-session.js';

export interface LinesSinkOptions {
  /** One line of output (without the newline). */
  out: (line: string) => void;
  /** One line for the person watching: connection changes, command feedback, errors. */
  err: (line: string) => void;
  json: boolean;
  color: boolean;
  url: string;
}

function connectionText(c: Connection, url: string): string {
  switch (c.state) {
    case 'connecting':
      return `connecting to ${url}…`;
    case 'connected':
      return `connected to ${url}`;
    case 'reconnecting':
      return `reconnecting to ${url}…${c.error ? ` (${c.error})` : ''}`;
    case 'paused':
      return c.until === null
        ? `disconnected by you (${c.how})`
        : `disconnected by you (${c.how}), reconnecting soon`;
    case 'closed':
      return 'closed';
  }
}

/** `--lines` (one readable line per message) and `--json` (`{"topic","payload"}` per message). */
export function createLinesSink(o: LinesSinkOptions): SubSink {
  const json = (topic: string, payload: unknown) => o.out(JSON.stringify({ topic, payload }));
  let last = '';
  return {
    trade(t: Trade) {
      if (o.json) json(topics.trades(t.source, t.symbol), t);
      else o.out(formatTrade(t, o.color));
    },
    status(source, s) {
      if (o.json) json(topics.status(source), s);
      else if (s) o.out(formatStatus(s, o.color));
      else o.out(paint('cyan', `[status] ${source}: removed`, o.color));
    },
    event(source, body) {
      if (o.json) return json(topics.events(source), body);
      const { method, params } = (body ?? {}) as { method?: unknown; params?: unknown };
      o.out(formatEvent(source, String(method ?? 'event'), eventDetail(params), o.color));
    },
    connection(c) {
      const text = connectionText(c, o.url);
      // "reconnecting…" repeats every second while the server is away: say it once.
      if (o.json || text === last) return;
      last = text;
      o.err(paint('dim', text, o.color));
    },
    notice(text, level) {
      o.err(level === 'error' ? paint('red', text, o.color) : paint('dim', text, o.color));
    },
  };
}
