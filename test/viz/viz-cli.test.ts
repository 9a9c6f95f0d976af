import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs the built CLI (`npm test` builds first), as a user would, into a temporary folder.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const FILES = [
  'connector.mmd',
  'connector.svg',
  'subscriptions.mmd',
  'subscriptions.svg',
  'supervisor.mmd',
  'supervisor.svg',
];

function viz(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, 'viz', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

let dir = '';
beforeAll(() => {
  expect(existsSync(MAIN), `${MAIN} is missing: build first (npm run build)`).toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'dataserver-viz-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dataserver viz', () => {
  it('--out DIR writes a Mermaid and an SVG file per machine, the same as the committed ones', () => {
    const out = join(dir, 'fresh');
    const result = viz(['--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(FILES);
    for (const file of FILES) {
      expect(readFileSync(join(out, file), 'utf8'), file).toBe(
        readFileSync(join(ROOT, 'visualizations', file), 'utf8'),
      );
    }
  });

  it('--check passes on fresh files and exits 1 naming a stale or missing one', () => {
    const out = join(dir, 'checked');
    expect(viz(['--out', out]).status).toBe(0);
    const ok = viz(['--out', out, '--check']);
    expect(ok.status, ok.stderr).toBe(0);

    appendFileSync(join(out, 'connector.mmd'), '  %% edited by hand\n');
    rmSync(join(out, 'supervisor.svg'));
    const stale = viz(['--out', out, '--check']);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(join(out, 'connector.mmd'));
    expect(stale.stderr).toContain(join(out, 'supervisor.svg'));
    expect(stale.stderr).not.toContain(join(out, 'connector.svg'));
    expect(stale.stderr).toContain('npx dataserver viz');
    expect(existsSync(join(out, 'supervisor.svg')), '--check writes nothing').toBe(false);
  });

  it('keeps a README in the folder in step: the Mermaid between its markers is rewritten', () => {
    const out = join(dir, 'with-readme');
    expect(viz(['--out', out]).status).toBe(0);
    writeFileSync(
      join(out, 'README.md'),
      '# Charts\n\n<!-- viz:subscriptions -->\nold\n<!-- /viz:subscriptions -->\nend\n',
    );
    expect(viz(['--out', out, '--check']).status, 'the README is stale').toBe(1);
    expect(viz(['--out', out]).status).toBe(0);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    const mermaid = readFileSync(join(out, 'subscriptions.mmd'), 'utf8');
    expect(readme).toBe(
      `# Charts\n\n<!-- viz:subscriptions -->\n\`\`\`mermaid\n${mermaid}\`\`\`\n<!-- /viz:subscriptions -->\nend\n`,
    );
    expect(viz(['--out', out, '--check']).status).toBe(0);
  });

  it('refuses an unknown flag with a usage error', () => {
    const result = viz(['--bogus']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--bogus');
  });
});
