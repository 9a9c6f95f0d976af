import { readFileSync } from 'node:fs';
import { type ZodError, z } from 'zod';
import { DataServerError, firstIssue } from '../../domain/index.js';
import { type Config, configSchema } from './schema.js';

/** Where configuration can come from besides the file. */
export interface ConfigSources {
  /** `--config FILE`; wins over `DATASERVER_CONFIG`. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

const ENV_OVERRIDES: ReadonlyArray<{ name: string; path: readonly [string, string]; number: boolean }> = [
  { name: 'DATASERVER_MQTT_PORT', path: ['mqtt', 'port'], number: true },
  { name: 'DATASERVER_HTTP_PORT', path: ['http', 'port'], number: true },
  { name: 'DATASERVER_LOG_LEVEL', path: ['log', 'level'], number: false },
];

/**
 * Loads, validates and freezes the configuration. Throws `DataServerError('CONFIG_INVALID')`
 * whose message is one line naming the key and the problem.
 */
export function loadConfig({ file, env = process.env }: ConfigSources = {}): Config {
  const path = file ?? (env.DATASERVER_CONFIG || undefined);
  let raw: unknown = {};
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new DataServerError(
        'CONFIG_UNREADABLE',
        `config ${path}: cannot read (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new DataServerError(
        'CONFIG_INVALID',
        `config ${path}: not valid JSON (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
  }
  return parseConfig(applyEnv(raw, env), path, env);
}

/**
 * Validates an already-parsed config object. `origin` names it in errors (the file path);
 * `env` tells which values came from override variables, so errors name those instead.
 */
export function parseConfig(raw: unknown, origin = 'config', env: NodeJS.ProcessEnv = {}): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new DataServerError('CONFIG_INVALID', describeIssue(result.error, origin, env), {
      cause: result.error,
    });
  }
  return deepFreeze(result.data);
}

function applyEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const { name, path, number } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const [section, key] = path;
    const current = out[section];
    const obj = typeof current === 'object' && current !== null ? { ...current } : {};
    // A non-numeric port stays a string so the schema reports it under the key it overrides.
    (obj as Record<string, unknown>)[key] = number && /^\d+$/.test(value) ? Number(value) : value;
    out[section] = obj;
  }
  return out;
}

/**
 * One line for the first problem, naming where it came from and the key:
 * `cfg.json: sources[0].backoff.multiplier: Too small: expected number to be >=1`, or, for a value
 * set by an environment variable, `DATASERVER_MQTT_PORT (mqtt.port): …`.
 */
function describeIssue(error: ZodError, origin: string, env: NodeJS.ProcessEnv): string {
  const issue = firstIssue(error);
  if (!issue) return `${origin}: ${z.prettifyError(error)}`;
  const more = issue.more > 0 ? ` (and ${issue.more} more)` : '';
  const fromEnv = ENV_OVERRIDES.find((o) => o.path.join('.') === issue.key && env[o.name]);
  const where = fromEnv ? `${fromEnv.name} (${issue.key})` : `${origin}: ${issue.key}`;
  return `${where}: ${issue.message}${more}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
