import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_MODULES } from '../../src/http/static.js';
import { body, type HttpRig, startRig } from './harness.js';

/** The dashboard's files: a fixed whitelist with content types and cache policy, nothing else. */
describe('dashboard files over HTTP', () => {
  let rig: HttpRig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it.each([
    ['/', /^text\/html/, 'no-cache'],
    ['/assets/style.css', /^text\/css/, 'no-cache'],
    ['/assets/main.js', /^text\/javascript/, 'no-cache'],
    ['/vendor/mqtt.esm.js', /^text\/javascript/, 'public, max-age=3600'],
    ['/vendor/uPlot.esm.js', /^text\/javascript/, 'public, max-age=3600'],
    ['/vendor/uPlot.min.css', /^text\/css/, 'public, max-age=3600'],
    ['/viz/connector.svg', /^image\/svg\+xml/, 'no-cache'],
    ['/viz/supervisor.svg', /^image\/svg\+xml/, 'no-cache'],
    ['/viz/subscriptions.svg', /^image\/svg\+xml/, 'no-cache'],
  ])('GET %s is served as %s with cache-control %s and an ETag', async (path, type, cache) => {
    const res = await rig.get(path);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
    expect(res.headers.get('cache-control')).toBe(cache);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('etag')).toMatch(/^W\/"/);
    expect((await res.text()).length).toBeGreaterThan(0);
  });

  it('serves the ES module builds the import map names (each has a default export)', async () => {
    const html = await (await rig.get('/')).text();
    expect(html).toContain('"mqtt": "/vendor/mqtt.esm.js"');
    expect(html).toContain('"uplot": "/vendor/uPlot.esm.js"');
    expect(await (await rig.get('/vendor/mqtt.esm.js')).text()).toMatch(/export default \w+\(\);/);
    expect(await (await rig.get('/vendor/uPlot.esm.js')).text()).toContain('export { uPlot as default }');
  });

  it('answers 304 to a revalidation with the same ETag', async () => {
    const first = await rig.get('/assets/style.css');
    const etag = first.headers.get('etag') ?? '';
    const again = await rig.get('/assets/style.css', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const listed = await rig.get('/assets/style.css', { headers: { 'if-none-match': `"other", ${etag}` } });
    expect(listed.status).toBe(304);
    const stale = await rig.get('/assets/style.css', { headers: { 'if-none-match': 'W/"0-0"' } });
    expect(stale.status).toBe(200);
  });

  it.each([
    '/assets/../package.json',
    '/assets/..%2F..%2Fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/index.html',
    '/vendor/mqtt.js',
    '/vendor/..%2Fmqtt%2Fpackage.json',
    '/viz/..%2Fweb%2Fstyle.svg',
    '/viz/nothing.svg',
    '/assets/main.ts',
  ])('GET %s is 404: only whitelisted files are served', async (path) => {
    const res = await rig.get(path);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await body(res)).toHaveProperty('error');
  });

  it('a request for another method is 405 with Allow', async () => {
    const res = await rig.get('/assets/style.css', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('whitelists exactly the browser modules the dashboard is made of', () => {
    const sources = readdirSync(new URL('../../visualizations/web/src/', import.meta.url))
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
      .map((name) => name.replace(/\.ts$/, '.js'))
      .sort();
    expect([...DASHBOARD_MODULES].sort()).toEqual(sources);
  });
});
