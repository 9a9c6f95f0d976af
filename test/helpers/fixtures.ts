import { readFileSync } from 'node:fs';

/** The venues whose fixtures are vendored under test/fixtures/. */
export type FixtureVenue = 'blockchain-com' | 'coinbase';

/**
 * The non-empty lines of one vendored fixture file, in file order. The copies under test/fixtures
 * (kept identical to ../shared/fixtures by test/fixtures/fixtures.test.ts) let the suite run on a
 * lone clone.
 */
export function fixtureLines(venue: FixtureVenue, name: string): string[] {
  return readFileSync(new URL(`../fixtures/${venue}/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}
