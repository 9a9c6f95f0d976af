import type { Readable } from 'node:stream';
import { hashPassword } from '../broker/password.js';
import { DataServerError } from '../domain/index.js';
import { parseFlags } from './args.js';

export const HASH_PASSWORD_USAGE = `Usage: dataserver hash-password

Reads a password from stdin and prints its hash, for "passwordHash" in the config's mqtt.auth.users.

  printf '%s' 'secret' | dataserver hash-password
  dataserver hash-password < password.txt

Only the first line is read (its line ending is not part of the password). On a terminal it
asks twice, without echo. The password is never taken as an argument: that would land in the
shell history and in the process list.

  -h, --help      this text`;

const EMPTY = 'empty password (pipe one in: printf \'%s\' "$PASSWORD" | dataserver hash-password)';

/** The first line of `input` (without `\n` or `\r\n`), read up to that newline or the end. */
export function readFirstLine(input: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const finish = () => {
      input.off('data', onData).off('end', finish).off('error', onError);
      input.pause();
      const text = Buffer.concat(chunks).toString('utf8');
      const newline = text.indexOf('\n');
      const line = newline === -1 ? text : text.slice(0, newline);
      resolve(line.endsWith('\r') ? line.slice(0, -1) : line);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      if (bytes.includes(0x0a)) finish();
    };
    const onError = (err: Error) => {
      input.off('data', onData).off('end', finish);
      reject(err);
    };
    input.on('data', onData).once('end', finish).once('error', onError);
  });
}

type Tty = NodeJS.ReadStream & { setRawMode(mode: boolean): unknown };

/** Reads one line from a terminal in raw mode, echoing nothing; prompts on stderr. */
function promptHidden(tty: Tty, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      tty.off('data', onData);
      tty.setRawMode(false);
      tty.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new DataServerError('USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    tty.setRawMode(true);
    tty.on('data', onData);
    tty.resume();
  });
}

async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    // Done with stdin after one line: an open pipe must not keep the process alive.
    return readFirstLine(stdin).finally(() => stdin.destroy());
  }
  const tty = stdin as Tty;
  const first = await promptHidden(tty, 'Password: ');
  if (first === '') return first;
  const again = await promptHidden(tty, 'Again: ');
  if (again !== first) throw new DataServerError('USAGE', 'the two passwords differ; nothing printed');
  return first;
}

export async function runHashPassword(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, {}, true);
  if (values.help) {
    console.log(HASH_PASSWORD_USAGE);
    return;
  }
  if (positionals.length > 0) {
    throw new DataServerError(
      'USAGE',
      'hash-password takes no arguments: pipe the password into stdin (see --help)',
    );
  }
  const password = await readPassword();
  if (password === '') throw new DataServerError('USAGE', EMPTY);
  process.stdout.write(`${await hashPassword(password)}\n`);
}
