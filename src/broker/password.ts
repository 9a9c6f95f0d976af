import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { DataServerError } from '../domain/index.js';

/**
 * Password hashes for `mqtt.auth`: `scrypt$N=16384,r=8,p=1$<salt base64>$<hash base64>`.
 * The string names its own parameters, so hashes made with other costs keep verifying.
 */
export const PASSWORD_HASH_FORMAT = 'scrypt$N=…,r=…,p=…$<salt base64>$<hash base64>';

/** What `hashPassword` uses: scrypt's recommended interactive-login cost (16 MiB, tens of ms). */
export const DEFAULT_SCRYPT = { N: 16_384, r: 8, p: 1 } as const;

const SALT_BYTES = 16;
const HASH_BYTES = 32;

/**
 * Bounds on what a hash string may ask for, so that a hostile or mistyped config cannot make
 * one login eat gigabytes or seconds: scrypt needs 128·N·r bytes and time ∝ N·r·p.
 */
const LIMITS = {
  maxN: 2 ** 20,
  maxR: 32,
  maxP: 16,
  maxMemory: 256 * 1024 * 1024,
  maxWork: 2 ** 24,
  salt: { min: 8, max: 64 },
  hash: { min: 16, max: 64 },
} as const;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface PasswordHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

const B64 = '([A-Za-z0-9+/]+={0,2})';
const PATTERN = new RegExp(`^scrypt\\$N=(\\d{1,10}),r=(\\d{1,3}),p=(\\d{1,3})\\$${B64}\\$${B64}$`);

function invalid(reason: string): DataServerError {
  return new DataServerError(
    'CONFIG_INVALID',
    `not a password hash from \`dataserver hash-password\` (${PASSWORD_HASH_FORMAT}): ${reason}`,
  );
}

/** Strict base64: decoding and re-encoding gives the same text, so no byte is silently dropped. */
function base64(text: string, what: string, bounds: { min: number; max: number }): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw invalid(`${what} is not canonical base64`);
  if (bytes.length < bounds.min || bytes.length > bounds.max)
    throw invalid(`${what} must be ${bounds.min}–${bounds.max} bytes, got ${bytes.length}`);
  return bytes;
}

/** Why `params` is refused, or undefined when scrypt may run with them. */
function paramsProblem({ N, r, p }: ScryptParams): string | undefined {
  if (N < 2 || N > LIMITS.maxN || (N & (N - 1)) !== 0)
    return `N must be a power of two from 2 to ${LIMITS.maxN}, got ${N}`;
  if (r < 1 || r > LIMITS.maxR) return `r must be from 1 to ${LIMITS.maxR}, got ${r}`;
  if (p < 1 || p > LIMITS.maxP) return `p must be from 1 to ${LIMITS.maxP}, got ${p}`;
  if (128 * N * r > LIMITS.maxMemory) return `N·r needs more than ${LIMITS.maxMemory >> 20} MiB`;
  if (N * r * p > LIMITS.maxWork) return `N·r·p is above ${LIMITS.maxWork}: verifying would be too slow`;
  return undefined;
}

/** Parses and bounds-checks an encoded hash; throws `CONFIG_INVALID` saying what is wrong. */
export function parsePasswordHash(encoded: string): PasswordHash {
  const m = PATTERN.exec(encoded);
  if (!m) throw invalid('wrong shape');
  const [, n, r, p, salt, hash] = m as unknown as [string, string, string, string, string, string];
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const problem = paramsProblem(params);
  if (problem) throw invalid(problem);
  return {
    params,
    salt: base64(salt, 'salt', LIMITS.salt),
    hash: base64(hash, 'hash', LIMITS.hash),
  };
}

/** The reason `encoded` is not a usable hash, or undefined when it is (for config validation). */
export function passwordHashProblem(encoded: string): string | undefined {
  try {
    parsePasswordHash(encoded);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function derive(password: string | Buffer, salt: Buffer, keylen: number, params: ScryptParams) {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r + 1024 * 1024 };
  // Async scrypt runs on the libuv thread pool: a login never blocks the event loop.
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes `password` (UTF-8 when a string) with a fresh random salt. */
export async function hashPassword(password: string | Buffer, params: ScryptParams = DEFAULT_SCRYPT) {
  const problem = paramsProblem(params);
  if (problem) throw new RangeError(`scrypt parameters: ${problem}`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * True when `password` matches `encoded`, compared in constant time.
 * Throws `CONFIG_INVALID` when `encoded` is malformed (a config problem, not a wrong password).
 */
export async function verifyPassword(password: string | Buffer, encoded: string | PasswordHash) {
  const { params, salt, hash } = typeof encoded === 'string' ? parsePasswordHash(encoded) : encoded;
  const candidate = await derive(password, salt, hash.length, params);
  return timingSafeEqual(candidate, hash);
}
