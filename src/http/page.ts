/** `GET /api`: a plain page linking to the routes (`GET /` is the live dashboard). */
export function indexPage(version: string): string {
  const links: Array<[string, string]> = [
    ['/', 'the live dashboard'],
    ['/health', 'liveness'],
    ['/ready', 'readiness, with reasons when not ready'],
    ['/metrics', 'Prometheus metrics'],
    ['/api/info', 'version, bound ports, uptime'],
    ['/api/sources', 'sources with their configuration and status'],
    ['/api/trades?symbol=BTC-USD&count=20', 'recent trades, newest first'],
  ];
  const items = links.map(([href, what]) => `<li><a href="${href}">${href}</a> — ${what}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>DataServer</title></head>
<body>
<h1>DataServer ${escapeHtml(version)}</h1>
<ul>
${items}
</ul>
<p>Admin: <code>POST /api/sources</code>, <code>DELETE /api/sources/{id}</code> with
<code>Authorization: Bearer &lt;http.adminToken&gt;</code>.</p>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
