import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';

/** The project root; CLI tests run the built CLI (`npm test` builds first), as a user would. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** The environment without any DATASERVER_* the caller happens to have, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('DATASERVER_')) env[key] = value;
  return { ...env, ...extra };
}

/**
 * Runs the CLI to its end. A command that wrongly starts something instead of exiting would hang:
 * the timeout turns that into a failure.
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 10_000,
  });
}

/**
 * A temporary folder for the test file (made before its tests, removed after them), once the built
 * CLI is known to be there. Returns a getter: the folder exists only once `beforeAll` ran.
 */
export function useCliTempDir(prefix: string): () => string {
  let dir = '';
  beforeAll(() => {
    expect(existsSync(MAIN), `${MAIN} is missing: build first (npm run build)`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** A config file in `dir` on loopback and free ports, so that starting cannot clash with anything. */
export function writeConfigFile(dir: string, name: string, sources: unknown[], level = 'silent'): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
      http: { host: '127.0.0.1', port: 0 },
      log: { level },
      sources,
    }),
  );
  return path;
}
