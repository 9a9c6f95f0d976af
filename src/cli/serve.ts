import type { Logger } from 'pino';
import { type Config, createLogger, createServer, loadConfig } from '../runtime/index.js';
import { parseFlags } from './args.js';
import { onShutdownSignal } from './lifecycle.js';

export const SERVE_USAGE = `Usage: dataserver serve [--config FILE] [--pretty]

Runs the server: upstream connectors, the embedded MQTT broker (TCP and WebSocket /mqtt).

  --config FILE   JSON config (default: $DATASERVER_CONFIG, else built-in demo defaults)
  --pretty        human-readable logs (default when stdout is a terminal)
  -h, --help      this text

Environment: DATASERVER_CONFIG, DATASERVER_MQTT_PORT, DATASERVER_HTTP_PORT, DATASERVER_LOG_LEVEL`;

export interface ServeFlags {
  config: Config;
  pretty: boolean | undefined;
}

/** Parses and validates everything before anything starts, so a bad flag or config starts nothing. */
export function parseServe(argv: string[]): ServeFlags | 'help' {
  const { values } = parseFlags(argv, { config: { type: 'string' }, pretty: { type: 'boolean' } });
  if (values.help) return 'help';
  return { config: loadConfig({ file: values.config }), pretty: values.pretty };
}

export async function serve(flags: ServeFlags, logger?: Logger): Promise<() => Promise<void>> {
  const log = logger ?? createLogger({ level: flags.config.log.level, pretty: flags.pretty });
  const server = await createServer(flags.config, log);
  return () => server.stop();
}

export async function runServe(argv: string[]): Promise<void> {
  const flags = parseServe(argv);
  if (flags === 'help') return void console.log(SERVE_USAGE);
  const logger = createLogger({ level: flags.config.log.level, pretty: flags.pretty });
  const stop = await serve(flags, logger);
  onShutdownSignal(stop, logger);
}
