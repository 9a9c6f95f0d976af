import type { Logger } from 'pino';

/**
 * Runs `stop` on the first SIGINT/SIGTERM and exits 0 when it is done (or 1 if it fails),
 * forcing the exit after `graceMs`. A second signal exits at once.
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger, graceMs = 2000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long, exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
