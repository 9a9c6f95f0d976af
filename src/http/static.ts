import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { problem, type Reply } from './respond.js';

/**
 * The dashboard's files (`GET /`, `/assets/…`, `/vendor/…`, `/viz/…`), served from a fixed
 * whitelist: a request names an entry, never a path, so nothing outside the list can be reached
 * however the URL is encoded.
 */

const HTML = 'text/html; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const SVG = 'image/svg+xml';

/** Our own files change with every build: the browser revalidates (ETag) on each load. */
const REVALIDATE = 'no-cache';
/** Vendor files change only with `npm install`; an hour is short enough to pick that up. */
const VENDOR_CACHE = 'public, max-age=3600';

export interface StaticFile {
  /** Absolute path on disk. */
  readonly file: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

/** The package root: the directory of DataServer's package.json, from src/http or dist/src/http. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', '..'), join(here, '..', '..', '..')];
  const require = createRequire(import.meta.url);
  for (const dir of candidates) {
    try {
      const pkg = require(join(dir, 'package.json')) as { name?: string };
      if (pkg.name === 'dataserver') return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`cannot find DataServer's package.json above ${here}`);
}

/** A dependency's own directory, found the way Node finds the package (hoisted or not). */
function packageDir(name: string): string {
  return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
}

export interface DashboardFiles {
  readonly index: StaticFile;
  /** By name under `/assets/`. */
  readonly assets: ReadonlyMap<string, StaticFile>;
  /** By name under `/vendor/`. */
  readonly vendor: ReadonlyMap<string, StaticFile>;
  /** By machine name: `/viz/{name}.svg`. */
  readonly viz: ReadonlyMap<string, StaticFile>;
}

/** The browser modules `tsc -p visualizations/web` writes; a new module is added here too. */
export const DASHBOARD_MODULES = [
  'main.js',
  'link.js',
  'sources.js',
  'cards.js',
  'book.js',
  'frame.js',
  'dom.js',
  'format.js',
] as const;

export const VIZ_MACHINES = ['connector', 'supervisor', 'subscriptions'] as const;

export function dashboardFiles(root = packageRoot()): DashboardFiles {
  const web = join(root, 'visualizations', 'web');
  const built = join(root, 'dist', 'visualizations', 'web');
  const own = (file: string, contentType: string): StaticFile => ({
    file,
    contentType,
    cacheControl: REVALIDATE,
  });
  const assets = new Map<string, StaticFile>([['style.css', own(join(web, 'style.css'), CSS)]]);
  for (const name of DASHBOARD_MODULES) assets.set(name, own(join(built, name), JS));

  const mqtt = packageDir('mqtt');
  const uplot = packageDir('uplot');
  const vendorFile = (file: string, contentType: string): StaticFile => ({
    file,
    contentType,
    cacheControl: VENDOR_CACHE,
  });
  const vendor = new Map<string, StaticFile>([
    ['mqtt.esm.js', vendorFile(join(mqtt, 'dist', 'mqtt.esm.js'), JS)],
    ['uPlot.esm.js', vendorFile(join(uplot, 'dist', 'uPlot.esm.js'), JS)],
    ['uPlot.min.css', vendorFile(join(uplot, 'dist', 'uPlot.min.css'), CSS)],
  ]);
  const viz = new Map<string, StaticFile>(
    VIZ_MACHINES.map((name) => [name, own(join(root, 'visualizations', `${name}.svg`), SVG)]),
  );
  return { index: own(join(web, 'index.html'), HTML), assets, vendor, viz };
}

/** RFC 9110 §13.1.2: `If-None-Match` holds `*` or a list of tags, compared weakly. */
function revalidated(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * Answers one whitelisted file: 200 with its content type and cache policy, 304 when the
 * browser's ETag still matches, 404 naming the missing file when it was not built or generated.
 */
export async function serveFile(
  req: IncomingMessage,
  entry: StaticFile | undefined,
  what: string,
): Promise<Reply> {
  if (!entry) return problem(404, `no file ${what}`);
  let etag: string;
  try {
    const info = await stat(entry.file);
    etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  } catch {
    return problem(
      404,
      `${what} is missing: run \`npm run build\` (assets) or \`npx dataserver viz\` (diagrams)`,
    );
  }
  const headers = { 'cache-control': entry.cacheControl, etag };
  if (revalidated(req.headers['if-none-match'], etag)) {
    return { status: 304, body: '', contentType: entry.contentType, headers };
  }
  const body = await readFile(entry.file, 'utf8');
  return { status: 200, body, contentType: entry.contentType, headers };
}
