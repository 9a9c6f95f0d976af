import { styleText } from 'node:util';
import mqtt from 'mqtt';
import { DataServerError, isSymbol, SOURCE_ID_PATTERN, SYMBOL_RULE, type Trade } from '../domain/index.js';
import type { SourceStatus } from '../runtime/index.js';
import { parseFlags } from './args.js';

export const SUB_USAGE = `Usage: dataserver sub [SYMBOL...] [--source ID] [--url URL] [--json]

Prints live trades and source status from a DataServer over MQTT, one line each.

  SYMBOL...       symbols to follow, e.g. BTC-USD ETH-USD (default: all)
  --source ID     only this source (default: all)
  --url URL       broker address (default mqtt://127.0.0.1:1883; ws://HOST:8083/mqtt works too)
  --username U    MQTT username, --password P its password
  --json          one JSON object per line: {"topic","payload"}
  -h, --help      this text`;

export interface SubFlags {
  url: string;
  source: string;
  symbols: string[];
  json: boolean;
  username: string | undefined;
  password: string | undefined;
}

export function parseSub(argv: string[]): SubFlags | 'help' {
  const { values, positionals } = parseFlags(
    argv,
    {
      source: { type: 'string' },
      url: { type: 'string' },
      json: { type: 'boolean' },
      username: { type: 'string' },
      password: { type: 'string' },
    },
    true,
  );
  if (values.help) return 'help';
  for (const s of positionals) {
    if (!isSymbol(s))
      throw new DataServerError('USAGE', `SYMBOL: "${s}" is not a symbol (like BTC-USD): ${SYMBOL_RULE}`);
  }
  const source = values.source ?? '+';
  if (source !== '+' && !SOURCE_ID_PATTERN.test(source)) {
    throw new DataServerError('USAGE', `--source: "${source}" is not a source id`);
  }
  return {
    url: values.url ?? 'mqtt://127.0.0.1:1883',
    source,
    symbols: positionals,
    json: values.json === true,
    username: values.username,
    password: values.password,
  };
}

/** The topic filters `sub` subscribes to. */
export function subFilters(flags: Pick<SubFlags, 'source' | 'symbols'>): string[] {
  const trades = flags.symbols.length
    ? flags.symbols.map((s) => `trades/${flags.source}/${s}`)
    : [`trades/${flags.source}/+`];
  return [...trades, `status/${flags.source}`];
}

const color = process.stdout.isTTY === true;
const paint = (format: Parameters<typeof styleText>[0], text: string) =>
  color ? styleText(format, text) : text;

export function formatTrade(t: Trade): string {
  const side = t.side === 'buy' ? paint('green', 'BUY ') : paint('red', 'SELL');
  return `${t.timestamp}  ${t.source.padEnd(10)} ${t.symbol.padEnd(9)} ${side} ${String(t.qty).padStart(12)} @ ${t.price}`;
}

export function formatStatus(s: SourceStatus): string {
  const symbols = Object.entries(s.symbols)
    .map(([sym, st]) => `${sym} ${st}`)
    .join(', ');
  const retry = s.nextRetryAt ? ` retry at ${s.nextRetryAt}` : '';
  const error = s.lastError && s.state !== 'subscribed' ? ` (${s.lastError})` : '';
  return paint(
    'cyan',
    `[status] ${s.source}: ${s.state} attempt ${s.attempt}${retry}${error} — ${symbols || 'no symbols'}`,
  );
}

export async function runSub(argv: string[]): Promise<void> {
  const flags = parseSub(argv);
  if (flags === 'help') return void console.log(SUB_USAGE);
  const client = mqtt.connect(flags.url, {
    username: flags.username,
    password: flags.password,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
  });
  client.on('connect', () => {
    client.subscribe(subFilters(flags), (err) => {
      if (err) console.error(`subscribe failed: ${err.message}`);
    });
    if (!flags.json) console.error(paint('dim', `connected to ${flags.url}`));
  });
  client.on('reconnect', () => {
    if (!flags.json) console.error(paint('dim', `reconnecting to ${flags.url}…`));
  });
  client.on('error', (err) => console.error(`mqtt: ${err.message}`));
  client.on('message', (topic, payload) => {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (flags.json) {
      console.log(JSON.stringify({ topic, payload: body }));
    } else if (topic.startsWith('trades/')) {
      console.log(formatTrade(body as Trade));
    } else if (topic.startsWith('status/')) {
      console.log(formatStatus(body as SourceStatus));
    }
  });
  const stop = () => client.end(false, {}, () => process.exit(0));
  // `dataserver sub | head` closes our stdout: that is the reader leaving, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stop();
    else throw err;
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
