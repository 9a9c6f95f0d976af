import { createInterface } from 'node:readline';
import { DataServerError, isSymbol, SOURCE_ID_PATTERN, SYMBOL_RULE } from '../domain/index.js';
import { intFlag, parseFlags } from './args.js';
import { CONTROLS_HELP } from './sub-controls.js';
import { createLinesSink } from './sub-lines.js';
import { startScreen } from './sub-screen.js';
import { type SessionFlags, type SubSink, startSubSession } from './sub-session.js';

export { formatStatus, formatTrade } from './sub-format.js';
export { subFilters } from './sub-session.js';

export const SUB_USAGE = `Usage: dataserver sub [SYMBOL...] [--source ID] [--url URL] [--history N] [--lines | --json]

Live trades and source status from a DataServer over MQTT. On a terminal: a table redrawn in
place (last price, change since start, trades/s, last side and time) with each source's state.
Piped, or with --lines: one line per trade and status.

  SYMBOL...       symbols to follow, e.g. BTC-USD ETH-USD (default: all)
  --source ID     only this source (default: all)
  --url URL       broker address (default mqtt://127.0.0.1:1883; ws://HOST:8083/mqtt works too)
  --username U    MQTT username, --password P its password
  --history N     first show the last N trades of each source/symbol (JSON-RPC trades.recent), then live
  --lines         one readable line per trade and status, even on a terminal
  --json          one JSON object per line: {"topic","payload"}
  -h, --help      this text

Keys (when stdin is a terminal; type, then Enter), for exercising the server:
  g      graceful disconnect (MQTT DISCONNECT), reconnect after 1 s
  a      abrupt disconnect (socket reset, no DISCONNECT), reconnect after 1 s
  t N    drop the connection for N seconds, then reconnect
  q      quit (Ctrl-C too)`;

export interface SubFlags extends SessionFlags {
  json: boolean;
  lines: boolean;
}

export function parseSub(argv: string[]): SubFlags | 'help' {
  const { values, positionals } = parseFlags(
    argv,
    {
      source: { type: 'string' },
      url: { type: 'string' },
      json: { type: 'boolean' },
      lines: { type: 'boolean' },
      history: { type: 'string' },
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
  const url = values.url ?? 'mqtt://127.0.0.1:1883';
  if (!/^(mqtts?|wss?|tcp|tls):\/\/[^/]/.test(url)) {
    throw new DataServerError(
      'USAGE',
      `--url: "${url}" is not an mqtt://, mqtts://, ws:// or wss:// address`,
    );
  }
  if (values.json && values.lines) throw new DataServerError('USAGE', '--json and --lines: choose one');
  return {
    url,
    source,
    symbols: [...new Set(positionals)],
    json: values.json === true,
    lines: values.lines === true,
    history: intFlag('history', values.history, 0, 0, 1000),
    username: values.username,
    password: values.password,
  };
}

/** Line-wise keyboard commands on a terminal stdin (the line mode; the table has its own). */
function readCommands(onLine: (line: string) => void, onEnd: () => void): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', onLine);
  rl.on('close', onEnd);
  return () => {
    rl.off('close', onEnd);
    rl.close();
  };
}

export async function runSub(argv: string[]): Promise<void> {
  const flags = parseSub(argv);
  if (flags === 'help') return void console.log(SUB_USAGE);
  const keyboard = process.stdin.isTTY === true;
  const table = process.stdout.isTTY === true && !flags.json && !flags.lines;
  let quit = () => {};
  const onLine = (line: string) => session.command(line);
  const onQuit = () => quit();
  let stopUi = () => {};
  let sink: SubSink;
  if (table) {
    const screen = startScreen({
      out: process.stdout,
      input: keyboard ? process.stdin : null,
      url: flags.url,
      onLine,
      onQuit,
    });
    // However the process ends, the terminal gets its screen and cursor back.
    stopUi = () => screen.stop();
    process.once('exit', stopUi);
    sink = screen.sink;
  } else {
    const color = process.stdout.isTTY === true && !flags.json && !process.env.NO_COLOR;
    sink = createLinesSink({
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      json: flags.json,
      color,
      url: flags.url,
    });
    if (keyboard) {
      stopUi = readCommands(onLine, onQuit);
      if (!flags.json) process.stderr.write(`keys: ${CONTROLS_HELP} (then Enter)\n`);
    }
  }
  const session = startSubSession({ flags, sink });
  quit = () => void session.quit();
  // `dataserver sub | head` closes our stdout: that is the reader leaving, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') quit();
    else throw err;
  });
  process.on('SIGINT', onQuit);
  process.on('SIGTERM', onQuit);
  const code = await session.done;
  stopUi();
  process.exit(code);
}
