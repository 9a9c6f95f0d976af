#!/usr/bin/env node
import { DataServerError } from '../domain/index.js';
import { VERSION } from '../runtime/index.js';
import { runDemo } from './demo.js';
import { runHashPassword } from './hash-password.js';
import { runServe } from './serve.js';
import { runSimulate } from './simulate.js';
import { runSub } from './sub.js';
import { runViz } from './viz.js';

const USAGE = `dataserver ${VERSION}: real-time market data from upstream feeds to any MQTT client

Usage: dataserver <command> [options]

Commands:
  serve          run the server (connectors + embedded MQTT broker)
  simulate       run the upstream exchange simulator
  demo           simulator + server in one process (what \`npm start\` runs)
  sub            print live trades and status from a running server
  hash-password  hash a password from stdin for mqtt.auth in the config
  viz            draw the statecharts of machines/ into visualizations/ (Mermaid + SVG)

Run \`dataserver <command> --help\` for a command's options.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  serve: runServe,
  simulate: runSimulate,
  demo: runDemo,
  sub: runSub,
  'hash-password': runHashPassword,
  viz: runViz,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command === '--version' || command === '-v') {
    console.log(VERSION);
    return;
  }
  const run = commands[command];
  if (!run)
    throw new DataServerError(
      'USAGE',
      `unknown command "${command}" (try: ${Object.keys(commands).join(', ')})`,
    );
  await run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Usage and config errors are the user's to fix: one line, no stack, exit 2.
  if (err instanceof DataServerError && ['USAGE', 'CONFIG_INVALID', 'CONFIG_UNREADABLE'].includes(err.code)) {
    console.error(`dataserver: ${err.message}`);
    process.exit(2);
  }
  console.error('dataserver: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
