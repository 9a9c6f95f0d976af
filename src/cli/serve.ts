import type { Logger } from 'pino';
import { DataServerError } from '../domain/index.js';
import { type Config, createLogger, createServer, type DataServer, loadConfig } from '../runtime/index.js';
import { type InspectorHandle, startInspector } from '../runtime/inspect.js';
import { parseFlags } from './args.js';
import { onShutdownSignal } from './lifecycle.js';

export const SERVE_USAGE = `Usage: dataserver serve [--config FILE] [--pretty] [--inspect] [--inspect-url WS_URL]

Runs the server: upstream connectors, the embedded MQTT broker (TCP and WebSocket /mqtt).

  --config FILE   JSON config (default: $DATASERVER_CONFIG, else built-in demo defaults)
  --pretty        human-readable logs (default when stdout is a terminal)
  --inspect       show the live actors in Stately's inspector: prints a stately.ai link (needs
                  internet access; costs several times the actor event throughput, so off by default)
  --inspect-url WS_URL
                  send them to this WebSocket inspection receiver instead (implies --inspect)
  -h, --help      this text

Environment: DATASERVER_CONFIG, DATASERVER_MQTT_PORT, DATASERVER_HTTP_PORT, DATASERVER_LOG_LEVEL`;

export interface ServeFlags {
  config: Config;
  pretty: boolean | undefined;
  /** Absent: no inspection. `url` absent: Stately's hosted inspector. */
  inspect?: { url: string | undefined } | undefined;
}

/** Parses and validates everything before anything starts, so a bad flag or config starts nothing. */
export function parseServe(argv: string[]): ServeFlags | 'help' {
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    pretty: { type: 'boolean' },
    inspect: { type: 'boolean' },
    'inspect-url': { type: 'string' },
  });
  if (values.help) return 'help';
  const url = values['inspect-url'];
  if (url !== undefined && !/^wss?:\/\/[^/\s]/.test(url)) {
    throw new DataServerError('USAGE', `--inspect-url: expected a ws:// or wss:// URL, got "${url}"`);
  }
  const inspect = values.inspect || url !== undefined ? { url } : undefined;
  return { config: loadConfig({ file: values.config }), pretty: values.pretty, inspect };
}

export async function serve(flags: ServeFlags, logger?: Logger): Promise<() => Promise<void>> {
  const log = logger ?? createLogger({ level: flags.config.log.level, pretty: flags.pretty });
  const inspector: InspectorHandle | undefined = flags.inspect
    ? await startInspector({ logger: log, url: flags.inspect.url })
    : undefined;
  let server: DataServer;
  try {
    server = await createServer(flags.config, log, { inspect: inspector?.inspect });
  } catch (err) {
    inspector?.stop();
    throw err;
  }
  return async () => {
    await server.stop();
    inspector?.stop();
  };
}

export async function runServe(argv: string[]): Promise<void> {
  const flags = parseServe(argv);
  if (flags === 'help') return void console.log(SERVE_USAGE);
  const logger = createLogger({ level: flags.config.log.level, pretty: flags.pretty });
  const stop = await serve(flags, logger);
  onShutdownSignal(stop, logger);
}
