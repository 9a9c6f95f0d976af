import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT,
  hashPassword,
  parsePasswordHash,
  passwordHashProblem,
  verifyPassword,
} from '../../src/broker/password.js';
import { DataServerError } from '../../src/domain/index.js';

const SALT = Buffer.alloc(16, 1).toString('base64');
const HASH = Buffer.alloc(32, 2).toString('base64');
const valid = (params = 'N=16384,r=8,p=1', salt = SALT, hash = HASH) => `scrypt$${params}$${salt}$${hash}`;

describe('hashPassword / verifyPassword', () => {
  it('round-trips: the hash names its parameters and verifies the same password', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    expect(encoded).toMatch(/^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    expect(parsePasswordHash(encoded).params).toEqual(DEFAULT_SCRYPT);
    expect(await verifyPassword('correct horse battery staple', encoded)).toBe(true);
  });

  it('refuses a wrong password, a prefix of it, and the empty one', async () => {
    const encoded = await hashPassword('secret');
    expect(await verifyPassword('Secret', encoded)).toBe(false);
    expect(await verifyPassword('secre', encoded)).toBe(false);
    expect(await verifyPassword('secret ', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('salts every hash: the same password hashes differently each time, and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats a string and its UTF-8 bytes alike (MQTT passwords arrive as a Buffer)', async () => {
    const encoded = await hashPassword('pässwörd ✓');
    expect(await verifyPassword(Buffer.from('pässwörd ✓', 'utf8'), encoded)).toBe(true);
  });

  it('verifies hashes made with other (bounded) parameters', async () => {
    const encoded = await hashPassword('x', { N: 1024, r: 4, p: 2 });
    expect(encoded).toContain('$N=1024,r=4,p=2$');
    expect(await verifyPassword('x', encoded)).toBe(true);
  });

  it('refuses to hash with out-of-bounds parameters', async () => {
    await expect(hashPassword('x', { N: 1000, r: 8, p: 1 })).rejects.toThrow(/power of two/);
  });

  it('does not block the event loop while verifying', async () => {
    const encoded = await hashPassword('secret');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await Promise.all(Array.from({ length: 4 }, () => verifyPassword('secret', encoded)));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('malformed hashes', () => {
  it.each([
    ['empty', '', /wrong shape/],
    ['plain text', 'secret', /wrong shape/],
    ['another algorithm', `bcrypt$N=16384,r=8,p=1$${SALT}$${HASH}`, /wrong shape/],
    ['parameters out of order', valid('r=8,N=16384,p=1'), /wrong shape/],
    ['a missing part', `scrypt$N=16384,r=8,p=1$${SALT}`, /wrong shape/],
    ['an extra part', `${valid()}$x`, /wrong shape/],
    ['surrounding space', ` ${valid()}`, /wrong shape/],
    ['N not a power of two', valid('N=16383,r=8,p=1'), /N must be a power of two/],
    ['N of 1', valid('N=1,r=8,p=1'), /N must be a power of two/],
    ['N above 2^20', valid('N=2097152,r=1,p=1'), /N must be a power of two from 2 to 1048576/],
    ['r of 0', valid('N=16384,r=0,p=1'), /r must be from 1 to 32/],
    ['r too large', valid('N=16384,r=33,p=1'), /r must be from 1 to 32/],
    ['p of 0', valid('N=16384,r=8,p=0'), /p must be from 1 to 16/],
    ['p too large', valid('N=16384,r=8,p=17'), /p must be from 1 to 16/],
    ['too much memory', valid('N=1048576,r=8,p=1'), /MiB/],
    ['too much work', valid('N=262144,r=8,p=16'), /too slow/],
    [
      'non-canonical base64 salt',
      valid(undefined, 'AAAAAAAAAAAAAAAAAAAAAB=='),
      /salt is not canonical base64/,
    ],
    ['unpadded base64 hash', valid(undefined, SALT, HASH.replace(/=+$/, '')), /hash is not canonical/],
    ['a short salt', valid(undefined, Buffer.alloc(4).toString('base64')), /salt must be 8–64 bytes/],
    ['a short hash', valid(undefined, SALT, Buffer.alloc(8).toString('base64')), /hash must be 16–64 bytes/],
  ])('%s is refused with a clear CONFIG_INVALID error', async (_what, encoded, reason) => {
    expect(passwordHashProblem(encoded)).toMatch(reason);
    expect(() => parsePasswordHash(encoded)).toThrow(DataServerError);
    expect(() => parsePasswordHash(encoded)).toThrow(/not a password hash from `dataserver hash-password`/);
    // verifyPassword reports a malformed hash as an error, never as a mere wrong password.
    await expect(verifyPassword('secret', encoded)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('accepts a well-formed hash', () => {
    expect(passwordHashProblem(valid())).toBeUndefined();
    expect(parsePasswordHash(valid())).toMatchObject({ params: { N: 16384, r: 8, p: 1 } });
  });
});
