import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/broker/password.js';
import { readFirstLine } from '../../src/cli/hash-password.js';
import { MAIN, ROOT } from '../helpers/cli.js';

function run(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 10_000,
    // A pipe, never the test runner's terminal: what `printf … | dataserver hash-password` gives.
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
  });
}

beforeAll(() => {
  expect(existsSync(MAIN), `${MAIN} is missing: build first (npx tsc -p .)`).toBe(true);
});

describe('dataserver hash-password', () => {
  it('prints a hash of the piped password that verifyPassword accepts', async () => {
    const result = run(['hash-password'], 's3cret pass');
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const hash = result.stdout.trimEnd();
    expect(result.stdout).toBe(`${hash}\n`);
    expect(hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expect(await verifyPassword('s3cret pass', hash)).toBe(true);
    expect(await verifyPassword('s3cret', hash)).toBe(false);
  });

  it('reads the first line only, without its line ending (echo and CRLF files alike)', async () => {
    for (const input of ['secret\n', 'secret\r\n', 'secret\nsecond line\n']) {
      const result = run(['hash-password'], input);
      expect(result.status).toBe(0);
      expect(await verifyPassword('secret', result.stdout.trim())).toBe(true);
    }
  });

  it.each([
    ['nothing', ''],
    ['an empty line', '\n'],
  ])('exits 2 with one clear line when given %s', (_what, input) => {
    const result = run(['hash-password'], input);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^dataserver: empty password/),
    ]);
  });

  it('refuses a password given as an argument (it would land in the shell history)', () => {
    const result = run(['hash-password', 'secret'], 'secret');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/takes no arguments: pipe the password into stdin/);
  });

  it('--help prints its usage and exits 0', () => {
    const result = run(['hash-password', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: dataserver hash-password/);
    expect(result.stdout).toMatch(/\| dataserver hash-password/);
  });

  it('a bad flag exits 2 naming it', () => {
    const result = run(['hash-password', '--rounds', '3'], 'x');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--rounds/);
  });

  it('is listed in `dataserver --help`', () => {
    expect(run(['--help']).stdout).toMatch(/hash-password/);
  });

  it('answers once the first line arrives, without waiting for stdin to close', async () => {
    const child = spawn(process.execPath, [MAIN, 'hash-password'], { cwd: ROOT, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stdin.write('secret\n'); // and stdin stays open
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(await verifyPassword('secret', out.trim())).toBe(true);
  });
});

describe('readFirstLine', () => {
  it('joins chunks until the newline, and keeps bytes split across chunks intact', async () => {
    const input = new PassThrough();
    const line = readFirstLine(input);
    const bytes = Buffer.from('pä');
    input.write(bytes.subarray(0, 2));
    input.write(Buffer.concat([bytes.subarray(2), Buffer.from('ss\nrest')]));
    expect(await line).toBe('päss');
  });

  it('takes everything when the input ends without a newline', async () => {
    const input = new PassThrough();
    const line = readFirstLine(input);
    input.end('no newline');
    expect(await line).toBe('no newline');
  });
});
