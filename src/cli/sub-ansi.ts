/**
 * The few ANSI SGR styles `sub` uses, and width-aware text pieces. Our own table rather than
 * `util.styleText`, because newer Node versions strip its codes when stdout is not a TTY, and the
 * renderer must give the same bytes under test as on a terminal.
 */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'magenta';

const SGR: Record<Style, readonly [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  magenta: [35, 39],
  cyan: [36, 39],
};

/** `text` in `style`, or as is when colour is off. */
export function paint(style: Style | undefined, text: string, color: boolean): string {
  if (!color || style === undefined || text === '') return text;
  const [on, off] = SGR[style];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** A piece of a line: its text and how to paint it. */
export interface Seg {
  text: string;
  style?: Style | undefined;
}

export const seg = (text: string, style?: Style): Seg => ({ text, style });

/** Visible width: code points, which is right for the ASCII and Latin text `sub` shows. */
export function widthOf(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function cut(text: string, width: number): string {
  let out = '';
  let n = 0;
  for (const ch of text) {
    if (n++ === width) break;
    out += ch;
  }
  return out;
}

/**
 * Joins segments into one line of at most `width` visible characters; a line that does not fit
 * is cut and ends with `…`. Control characters from the wire are replaced, so a payload cannot
 * move the cursor.
 */
export function fitLine(segs: readonly Seg[], width: number, color: boolean): string {
  const clean = segs.map((s) => ({ text: safeText(s.text), style: s.style }));
  const total = clean.reduce((n, s) => n + widthOf(s.text), 0);
  const max = Math.max(0, width);
  let room = total > max ? max - 1 : max;
  let out = '';
  for (const s of clean) {
    if (room <= 0) break;
    const w = widthOf(s.text);
    const text = w > room ? cut(s.text, room) : s.text;
    room -= Math.min(w, room);
    out += paint(s.style, text, color);
  }
  return total > max && max > 0 ? `${out}…` : out;
}

/** Text with control characters (escapes, newlines, tabs) made visible-safe. */
export function safeText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return text.replace(/[\x00-\x1f\x7f]/g, ' ');
}

export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - widthOf(text)));
}

export function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - widthOf(text))) + text;
}
