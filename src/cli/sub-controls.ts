/** A keyboard command of `sub`, typed as a line and confirmed with Enter. */
export type Control =
  | { kind: 'graceful' }
  | { kind: 'abrupt' }
  | { kind: 'drop'; seconds: number }
  | { kind: 'quit' }
  | { kind: 'help' };

export const CONTROLS_HELP =
  'g: graceful disconnect (MQTT DISCONNECT), back after 1 s · a: abrupt drop (socket destroyed, no DISCONNECT), back after 1 s · t N: drop for N s · q: quit';

const MAX_DROP_SECONDS = 3600;

/** The command a line asks for, an error text for a line that asks for nothing valid, or null for a blank line. */
export function parseControl(line: string): Control | { error: string } | null {
  const [word, arg, ...rest] = line.trim().toLowerCase().split(/\s+/);
  if (!word) return null;
  if (rest.length > 0) return { error: `"${line.trim()}": too many words (g, a, t N, q; h for help)` };
  if (word === 't') {
    const seconds = Number(arg);
    if (arg === undefined || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_DROP_SECONDS)
      return { error: `t N: N is the seconds to stay away, from 0 to ${MAX_DROP_SECONDS}` };
    return { kind: 'drop', seconds };
  }
  if (arg !== undefined) return { error: `"${word}" takes no argument` };
  if (word === 'g') return { kind: 'graceful' };
  if (word === 'a') return { kind: 'abrupt' };
  if (word === 'q') return { kind: 'quit' };
  if (word === 'h' || word === '?' || word === 'help') return { kind: 'help' };
  return { error: `unknown command "${word}" (g, a, t N, q; h for help)` };
}
