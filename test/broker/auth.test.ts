import { type AddressInfo, createServer, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, filterCovers, isTopicFilter, type MqttAuth } from '../../src/broker/auth.js';
import { hashPassword } from '../../src/broker/password.js';
import { DataServerError } from '../../src/domain/index.js';
import { parseConfig } from '../../src/runtime/config/index.js';
import { silentLogger } from '../helpers/server.js';

describe('filterCovers (allow filter ⊇ requested filter)', () => {
  it.each([
    // allowed, requested, covered
    ['trades/blockchain/#', 'trades/blockchain/BTC-USD', true],
    ['trades/blockchain/#', 'trades/blockchain/+', true],
    ['trades/blockchain/#', 'trades/blockchain/#', true],
    ['trades/blockchain/#', 'trades/blockchain', true], // `#` includes the parent level
    ['trades/blockchain/#', 'trades/blockchain/+/x', true],
    ['trades/blockchain/#', 'trades/#', false],
    ['trades/blockchain/#', '#', false],
    ['trades/blockchain/#', 'trades/+/BTC-USD', false],
    ['trades/blockchain/#', 'trades/+/#', false],
    ['trades/blockchain/#', 'trades/coinbase/BTC-USD', false],
    ['trades/blockchain/#', 'trades', false],
    ['trades/+/BTC-USD', 'trades/blockchain/BTC-USD', true],
    ['trades/+/BTC-USD', 'trades/+/BTC-USD', true],
    ['trades/+/BTC-USD', 'trades/+/ETH-USD', false],
    ['trades/+/BTC-USD', 'trades/+/+', false],
    ['trades/+/BTC-USD', 'trades/#', false],
    ['trades/+/BTC-USD', 'trades/blockchain/BTC-USD/x', false],
    ['trades/+/BTC-USD', 'trades/blockchain', false],
    ['trades/+', 'trades/blockchain', true],
    ['trades/+', 'trades/blockchain/BTC-USD', false],
    ['trades/+', 'trades', false],
    ['trades/+/+', 'trades/+/#', false], // `#` may match more levels than `+/+`
    ['status/blockchain', 'status/blockchain', true],
    ['status/blockchain', 'status/+', false],
    ['status/blockchain', 'status/blockchain/x', false],
    ['status/blockchain', 'status', false],
    ['#', 'trades/blockchain/BTC-USD', true],
    ['#', '#', true],
    ['#', '+/+', true],
    ['+/#', 'a', true],
    ['+/#', '#', true], // at the top, `+/#` matches every topic `#` does
    ['+/#', '+/#', true],
    ['+/+/#', '#', false], // `#` matches one-level topics, `+/+/#` does not
    ['a/+/#', 'a/#', false], // `a/#` matches `a` itself
    ['a/+/#', 'a/+', true],
    ['+', '#', false],
    ['+', 'a/b', false],
    // MQTT-4.7.2-1: filters starting with a wildcard never match `$` topics.
    ['#', '$SYS/broker/uptime', false],
    ['#', '$SYS/#', false],
    ['+/#', '$SYS/x', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['$SYS/#', '#', false],
    // empty levels are levels
    ['a//b', 'a//b', true],
    ['a/+/b', 'a//b', true],
    ['a/#', 'a/', true],
    // invalid filters cover nothing and are covered by nothing
    ['trades/#', 'trades/bl#', false],
    ['trades/#', 'trades/#/x', false],
    ['trades/#', '', false],
    ['trades#', 'trades#', false],
  ])('allow %j covers %j: %s', (allowed, requested, covered) => {
    expect(filterCovers(allowed, requested)).toBe(covered);
  });
});

describe('isTopicFilter (MQTT-4.7.1)', () => {
  it.each(['#', '+', 'a', 'a/b', 'a/+/c', 'a/#', '+/+/#', '/', 'a//b', '$SYS/#'])('%j is valid', (f) =>
    expect(isTopicFilter(f)).toBe(true),
  );
  it.each(['', 'a/#/b', 'a#', 'a/b+', '#/', 'a/+b', 'nul\u0000'])('%j is invalid', (f) =>
    expect(isTopicFilter(f)).toBe(false),
  );
});

let aliceHash = '';
let bobHash = '';
beforeAll(async () => {
  [aliceHash, bobHash] = await Promise.all([hashPassword('alice-secret'), hashPassword('bob-secret')]);
});

describe('mqtt.auth config', () => {
  const withAuth = (auth: unknown) => parseConfig({ mqtt: { auth } });
  const problem = (auth: unknown): string => {
    try {
      withAuth(auth);
    } catch (err) {
      expect(err).toBeInstanceOf(DataServerError);
      expect((err as DataServerError).code).toBe('CONFIG_INVALID');
      return (err as Error).message;
    }
    throw new Error('expected a config error');
  };

  it('is absent by default (anonymous clients allowed)', () => {
    expect(parseConfig({}).mqtt.auth).toBeUndefined();
  });

  it('accepts users with and without allow lists, and keeps the other mqtt defaults', () => {
    const config = withAuth({
      users: [
        { username: 'alice', passwordHash: aliceHash },
        { username: 'bob', passwordHash: bobHash, allow: ['trades/blockchain/#', 'status/+'] },
      ],
    });
    expect(config.mqtt).toMatchObject({ host: '0.0.0.0', port: 1883, wsPort: 8083 });
    expect(config.mqtt.auth?.users).toEqual([
      { username: 'alice', passwordHash: aliceHash },
      { username: 'bob', passwordHash: bobHash, allow: ['trades/blockchain/#', 'status/+'] },
    ]);
  });

  it.each([
    [
      'a bad hash, naming the key',
      { users: [{ username: 'a', passwordHash: 'secret' }] },
      /mqtt\.auth\.users\[0\]\.passwordHash: not a password hash from `dataserver hash-password`/,
    ],
    [
      'a hash with hostile parameters',
      {
        users: [
          {
            username: 'a',
            passwordHash:
              'scrypt$N=1073741824,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
          },
        ],
      },
      /mqtt\.auth\.users\[0\]\.passwordHash: .*N must be a power of two from 2 to 1048576/,
    ],
    [
      'an empty username',
      { users: [{ username: '', passwordHash: 'H' }] },
      /mqtt\.auth\.users\[0\]\.username/,
    ],
    ['a missing password hash', { users: [{ username: 'a' }] }, /mqtt\.auth\.users\[0\]\.passwordHash/],
    [
      'an unknown key in a user',
      { users: [{ username: 'a', passwordHash: 'H', password: 'x' }] },
      /mqtt\.auth\.users\[0\]\.password: unknown key/,
    ],
    [
      'an unknown key in auth',
      { users: [{ username: 'a', passwordHash: 'H' }], anonymous: true },
      /mqtt\.auth\.anonymous: unknown key/,
    ],
    [
      'duplicate usernames',
      {
        users: [
          { username: 'a', passwordHash: 'H' },
          { username: 'a', passwordHash: 'H' },
        ],
      },
      /mqtt\.auth\.users: usernames must be unique/,
    ],
    ['no users', { users: [] }, /mqtt\.auth\.users: list at least one user/],
    [
      'an invalid allow filter',
      { users: [{ username: 'a', passwordHash: 'H', allow: ['trades/#/x'] }] },
      /mqtt\.auth\.users\[0\]\.allow\[0\]: not a valid MQTT topic filter/,
    ],
    [
      'allow not a list',
      { users: [{ username: 'a', passwordHash: 'H', allow: 'trades/#' }] },
      /mqtt\.auth\.users\[0\]\.allow/,
    ],
  ])('refuses %s', (_what, auth, message) => {
    // `H` stands for a valid hash, so each case shows only its own problem.
    const json = JSON.stringify(auth).replaceAll('"H"', JSON.stringify(aliceHash));
    expect(problem(JSON.parse(json))).toMatch(message);
  });
});

/** A real Aedes broker on an ephemeral port, with `auth` wired the way startBroker should wire it. */
async function startAedes(auth: MqttAuth): Promise<{ url: string; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker({
    authenticate: auth.authenticate,
    authorizeSubscribe: (client, sub, done) => done(null, auth.canSubscribe(client, sub.topic) ? sub : null),
  });
  const server: Server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('createAuth against a real Aedes broker and mqtt.js clients', () => {
  const open: MqttClient[] = [];
  let broker: { url: string; close(): Promise<void> } | undefined;
  let auth: MqttAuth;
  let logs: string[] = [];

  afterEach(async () => {
    for (const c of open.splice(0)) await c.endAsync(true);
    await broker?.close();
    broker = undefined;
  });
  afterAll(() => {
    // Whatever happened, no password reached a log line.
    for (const line of logs) expect(line).not.toMatch(/alice-secret|bob-secret|wrong-secret/);
  });

  async function start(config: Parameters<typeof createAuth>[0]): Promise<string> {
    const sink = new PassThrough();
    sink.on('data', (line: Buffer) => logs.push(line.toString()));
    logs = [];
    auth = createAuth(config, pino({ level: 'trace' }, sink));
    broker = await startAedes(auth);
    return broker.url;
  }

  async function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    open.push(client);
    return client;
  }

  /** The CONNACK return code a refused connect surfaces as (mqtt.js: `error.code`). */
  async function refusedWith(url: string, options: mqtt.IClientOptions): Promise<number | undefined> {
    const err = await connect(url, options).then(
      () => undefined,
      (e: unknown) => e as { code?: number },
    );
    expect(err, 'the connection should have been refused').toBeDefined();
    return err?.code;
  }

  /** Subscribes to one filter; true when granted, false on SUBACK 0x80. */
  async function granted(client: MqttClient, filter: string): Promise<boolean> {
    try {
      const [grant] = await client.subscribeAsync(filter);
      return grant !== undefined && grant.qos < 128;
    } catch (err) {
      // mqtt.js rejects a SUBACK with a failure code, the packet attached.
      expect((err as { packet?: { granted?: number[] } }).packet?.granted).toEqual([128]);
      return false;
    }
  }

  const users = () => ({
    users: [
      { username: 'alice', passwordHash: aliceHash },
      { username: 'bob', passwordHash: bobHash, allow: ['trades/blockchain/#', 'status/blockchain'] },
    ],
  });

  it('lets a user in with the right password', async () => {
    const url = await start(users());
    const client = await connect(url, { username: 'alice', password: 'alice-secret' });
    expect(client.connected).toBe(true);
    expect(auth.stats.refusedAuth).toBe(0);
  });

  it('refuses a wrong password with CONNACK 4 (bad username or password)', async () => {
    const url = await start(users());
    expect(await refusedWith(url, { username: 'alice', password: 'wrong-secret' })).toBe(4);
    expect(await refusedWith(url, { username: 'alice', password: 'bob-secret' })).toBe(4);
    expect(auth.stats.refusedAuth).toBe(2);
  });

  it('refuses an unknown username or a missing password with CONNACK 4', async () => {
    const url = await start(users());
    expect(await refusedWith(url, { username: 'mallory', password: 'alice-secret' })).toBe(4);
    expect(await refusedWith(url, { username: 'alice' })).toBe(4);
    expect(auth.stats.refusedAuth).toBe(2);
  });

  it('refuses anonymous clients with CONNACK 5 (not authorized)', async () => {
    const url = await start(users());
    expect(await refusedWith(url, {})).toBe(5);
    expect(auth.stats.refusedAuth).toBe(1);
    expect(logs.join('')).toMatch(/MQTT connection refused/);
  });

  it('logs refusals with the username but never the password', async () => {
    const url = await start(users());
    await refusedWith(url, { username: 'alice', password: 'wrong-secret' });
    await connect(url, { username: 'bob', password: 'bob-secret' });
    const text = logs.join('');
    expect(text).toContain('"username":"alice"');
    expect(text).not.toMatch(/wrong-secret|bob-secret/);
  });

  it('gives a user without `allow` every subscription', async () => {
    const url = await start(users());
    const alice = await connect(url, { username: 'alice', password: 'alice-secret' });
    for (const filter of ['#', 'trades/#', 'status/+', '$SYS/#'])
      expect(await granted(alice, filter)).toBe(true);
  });

  it('limits a user with `allow` to filters those cover, and keeps the client connected', async () => {
    const url = await start(users());
    const bob = await connect(url, { username: 'bob', password: 'bob-secret', clientId: 'bob-1' });
    const cases: Array<[string, boolean]> = [
      ['trades/blockchain/BTC-USD', true],
      ['trades/blockchain/+', true],
      ['trades/blockchain/#', true],
      ['status/blockchain', true],
      ['rpc/bob-1/response', true], // its own JSON-RPC replies
      ['trades/#', false],
      ['#', false],
      ['trades/+/BTC-USD', false],
      ['status/+', false],
      ['rpc/alice-1/response', false],
      ['rpc/+/response', false],
    ];
    for (const [filter, ok] of cases) expect([filter, await granted(bob, filter)]).toEqual([filter, ok]);
    expect(bob.connected).toBe(true);
  });

  it('without mqtt.auth lets anonymous clients in and allows every subscription', async () => {
    const url = await start(undefined);
    const anon = await connect(url);
    expect(await granted(anon, '#')).toBe(true);
    const named = await connect(url, { username: 'anyone', password: 'anything' });
    expect(named.connected).toBe(true);
    expect(auth.username(anon as unknown as Client)).toBeUndefined();
    expect(auth.stats.refusedAuth).toBe(0);
  });

  it('answers the many clients that connect at once, right and wrong passwords mixed', async () => {
    const url = await start(users());
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        connect(url, { username: 'alice', password: i % 2 ? 'alice-secret' : 'wrong-secret' }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
    expect(auth.stats.refusedAuth).toBe(6);
  });
});

describe('createAuth', () => {
  it('fails at creation on a malformed hash (when called without the config schema)', () => {
    expect(() => createAuth({ users: [{ username: 'a', passwordHash: 'nope' }] }, silentLogger)).toThrow(
      /not a password hash/,
    );
  });

  it('refuses subscriptions from a client it never authenticated', () => {
    const auth = createAuth({ users: [{ username: 'a', passwordHash: aliceHash }] }, silentLogger);
    expect(auth.canSubscribe({ id: 'x' } as Client, 'trades/#')).toBe(false);
  });
});
