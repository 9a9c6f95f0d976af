import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, useCliTempDir } from '../helpers/cli.js';

// Runs the built CLI (`npm test` builds first), as a user would, into a temporary folder.
const FILES = [
  'connector.mmd',
  'connector.svg',
  'subscriptions.mmd',
  'subscriptions.svg',
  'supervisor.mmd',
  'supervisor.svg',
];

const viz = (args: string[]) => runCli(['viz', ...args], { timeoutMs: 30_000 });

const tmp = useCliTempDir('dataserver-viz-');

describe('dataserver viz', () => {
  it('--out DIR writes a Mermaid and an SVG file per machine, the same as the committed ones', () => {
    const out = join(tmp(), 'fresh');
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
    const out = join(tmp(), 'checked');
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
    const out = join(tmp(), 'with-readme');
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
