import { randomBytes } from 'node:crypto';
import type { AedesOptions, AuthErrorCode, AuthenticateError, Client } from 'aedes';
import type { Logger } from 'pino';
import { describeError, topics } from '../domain/index.js';
import { DEFAULT_SCRYPT, type PasswordHash, parsePasswordHash, verifyPassword } from './password.js';

/** `mqtt.auth` of the config (declared here so that the broker does not import the runtime). */
export interface MqttAuthConfig {
  readonly users: ReadonlyArray<{
    readonly username: string;
    readonly passwordHash: string;
    /** Topic filters this user may subscribe within (plus its own `rpc/{clientId}/response`); absent = any. */
    readonly allow?: readonly string[] | undefined;
  }>;
}

export interface AuthStats {
  /** Connections refused for a missing, unknown or wrong username/password. */
  refusedAuth: number;
}

export interface MqttAuth {
  /** Aedes' `authenticate` handler (pass it to `Aedes.createBroker`). */
  readonly authenticate: NonNullable<AedesOptions['authenticate']>;
  /**
   * May this connected client subscribe to `filter`? True when its user has no `allow` list, when
   * an `allow` filter covers `filter` (`filterCovers`), or for its own `rpc/{clientId}/response`.
   * (Call from `authorizeSubscribe`.)
   */
  canSubscribe(client: Client, filter: string): boolean;
  /** The username `client` logged in with; undefined for anonymous clients or without auth. */
  username(client: Client): string | undefined;
  readonly stats: AuthStats;
}

interface User {
  username: string;
  hash: PasswordHash;
  allow: readonly string[] | undefined;
}

// CONNACK return codes (MQTT 3.1.1 table 3.1). Aedes declares them as an ambient const enum,
// which `isolatedModules` cannot read, hence the literals typed by member.
const BAD_USERNAME_OR_PASSWORD: AuthErrorCode.BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED: AuthErrorCode.NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE: AuthErrorCode.SERVER_UNAVAILABLE = 3;

function refusal(returnCode: AuthErrorCode, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

/** True when `filter` is a valid MQTT topic filter (MQTT-4.7.1: wildcards fill a whole level, `#` last). */
export function isTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every(
    (level, i) =>
      (level === '#' && i === levels.length - 1) ||
      level === '+' ||
      (!level.includes('#') && !level.includes('+')),
  );
}

/**
 * True when every topic `requested` can match is also matched by `allowed`, i.e. subscribing to
 * `requested` can never deliver a topic outside `allowed`. `a/#` covers `a`, `a/+`, `a/b/#`;
 * `a/+` covers `a/b` but not `a/#`; a filter starting with a wildcard never covers a `$` topic
 * (MQTT-4.7.2-1). Invalid filters cover and are covered by nothing.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  if (!isTopicFilter(allowed) || !isTopicFilter(requested)) return false;
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    const level = a[i] as string;
    const want = r[i];
    const dollar = i === 0 && want !== undefined && want.startsWith('$');
    // `#` also matches the parent level, so `a/#` covers `a`.
    if (level === '#') return !dollar;
    if (want === undefined) return false;
    // `+/#` is `#` at the top (no topic is empty, so `#` there has no parent level to match).
    if (want === '#') return i === 0 && level === '+' && a[1] === '#';
    if (level === '+') {
      if (dollar) return false;
    } else if (level !== want) return false;
  }
  return a.length === r.length;
}

/**
 * Authentication and subscribe ACL for the embedded broker. Without `config`, every client is
 * let in anonymously and may subscribe to anything.
 */
export function createAuth(config: MqttAuthConfig | undefined, logger: Logger): MqttAuth {
  const stats: AuthStats = { refusedAuth: 0 };
  if (!config) {
    return {
      authenticate: (_client, _username, _password, done) => done(null, true),
      canSubscribe: () => true,
      username: () => undefined,
      stats,
    };
  }
  const log = logger.child({ component: 'auth' });
  const users = new Map<string, User>(
    config.users.map((u) => [
      u.username,
      { username: u.username, hash: parsePasswordHash(u.passwordHash), allow: u.allow },
    ]),
  );
  const loggedIn = new WeakMap<Client, User>();

  // An unknown username still costs one scrypt run (against a random hash with the first user's
  // parameters), so response time does not tell which usernames exist.
  const params = [...users.values()][0]?.hash.params ?? DEFAULT_SCRYPT;
  const decoy: PasswordHash = { params, salt: randomBytes(16), hash: randomBytes(32) };

  const refuse = (client: Client, username: string | undefined, code: AuthErrorCode, why: string) => {
    stats.refusedAuth++;
    log.info({ clientId: client.id, username, reason: why }, 'MQTT connection refused');
    return refusal(code, why);
  };

  return {
    authenticate(client, username, password, done) {
      if (username === undefined || username === '') {
        done(refuse(client, undefined, NOT_AUTHORIZED, 'anonymous clients are not allowed'), false);
        return;
      }
      const user = users.get(username);
      verifyPassword(password ?? Buffer.alloc(0), user?.hash ?? decoy).then(
        (ok) => {
          if (!user || !ok || password === undefined) {
            done(refuse(client, username, BAD_USERNAME_OR_PASSWORD, 'bad username or password'), false);
            return;
          }
          loggedIn.set(client, user);
          log.debug({ clientId: client.id, username }, 'MQTT client authenticated');
          done(null, true);
        },
        (err: unknown) => {
          // scrypt itself failed (hashes were checked at start): not the client's fault.
          log.error({ clientId: client.id, username, err }, 'password verification failed');
          stats.refusedAuth++;
          done(refusal(SERVER_UNAVAILABLE, `server unavailable: ${describeError(err)}`), false);
        },
      );
    },
    canSubscribe(client, filter) {
      const user = loggedIn.get(client);
      if (!user) return false;
      if (user.allow === undefined) return true;
      // Every client may use JSON-RPC on its own topics (CONTRACT §3), whatever its data allowance.
      if (filter === topics.rpcResponse(client.id)) return true;
      return user.allow.some((allowed) => filterCovers(allowed, filter));
    },
    username: (client) => loggedIn.get(client)?.username,
    stats,
  };
}
