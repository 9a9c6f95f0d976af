import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { eventDetail } from './sub-format.js';
import { SubModel } from './sub-model.js';
import { renderScreen } from './sub-render.js';
import type { SubSink } from './sub-session.js';

/** At most this many redraws a second, however many trades arrive. */
export const FRAME_MS = 100;
/** Redrawn at least this often even without messages: countdowns and trades/s move with the clock. */
const IDLE_FRAME_MS = 500;

const ENTER = '\x1b[?1049h\x1b[?25l'; // alternate screen, cursor hidden
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR_EOL = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

export interface ScreenOptions {
  out: NodeJS.WriteStream;
  /** The keyboard, when stdin is a TTY; null: no controls. */
  input: NodeJS.ReadStream | null;
  url: string;
  /** A command line confirmed with Enter. */
  onLine(line: string): void;
  /** Ctrl-C or Ctrl-D. */
  onQuit(): void;
  now?: () => number;
}

export interface Screen {
  readonly sink: SubSink;
  readonly model: SubModel;
  /** Leaves the alternate screen and prints the last frame on the normal one. Idempotent. */
  stop(): void;
}

/** The live table on a terminal: the model, redrawn in place on a frame timer, never per trade. */
export function startScreen(o: ScreenOptions): Screen {
  const now = o.now ?? Date.now;
  const model = new SubModel(now());
  let dirty = true;
  let lastDraw = 0;
  let stopped = false;
  let rl: Interface | undefined;

  const frame = (withPrompt = true) =>
    renderScreen(model, {
      // One column spare: writing the last column makes some terminals wrap.
      width: Math.max(20, (o.out.columns ?? 80) - 1),
      height: o.out.rows,
      now: now(),
      url: o.url,
      color: true,
      prompt: rl && withPrompt ? rl.line : null,
    });

  const draw = () => {
    dirty = false;
    lastDraw = now();
    o.out.write(HOME + frame().join(`${CLEAR_EOL}\r\n`) + CLEAR_EOL + CLEAR_BELOW);
  };

  o.out.write(ENTER);
  if (o.input) {
    const sinkStream = new Writable({ write: (_chunk, _enc, cb) => cb() });
    // Raw mode through readline: its echo goes nowhere, the frame shows the line being typed.
    rl = createInterface({ input: o.input, output: sinkStream, terminal: true });
    rl.on('line', (line) => {
      o.onLine(line);
      dirty = true;
    });
    rl.on('SIGINT', () => o.onQuit());
    rl.on('close', () => {
      if (!stopped) o.onQuit();
    });
    o.input.on('keypress', () => {
      dirty = true;
    });
  }
  const onResize = () => {
    dirty = true;
  };
  o.out.on('resize', onResize);
  const timer = setInterval(() => {
    if (dirty || now() - lastDraw >= IDLE_FRAME_MS) draw();
  }, FRAME_MS);
  draw();

  const sink: SubSink = {
    trade(t, history) {
      model.trade(t, now(), history);
      dirty = true;
    },
    status(source, s) {
      if (s) model.status(s);
      else model.clearStatus(source);
      dirty = true;
    },
    event(source, body) {
      const { method, params } = (body ?? {}) as { method?: unknown; params?: unknown };
      model.event(source, String(method ?? 'event'), eventDetail(params), now());
      dirty = true;
    },
    connection(c) {
      model.connection = c;
      dirty = true;
    },
    notice(text) {
      model.notice = { text, at: now() };
      dirty = true;
    },
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    o.out.off('resize', onResize);
    rl?.close();
    o.out.write(`${LEAVE}${frame(false).join('\n')}\n`);
  };

  return { sink, model, stop };
}
