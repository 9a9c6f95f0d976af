export { refuseUnlessAdmin, tokensEqual } from './admin.js';
export { MAX_BODY_BYTES, readJsonBody } from './body.js';
export type { HttpContext, SourceState, SourceView } from './context.js';
export { hasDemand, type Readiness, readiness } from './readiness.js';
export { type HttpServer, type HttpServerOptions, startHttpServer } from './server.js';
export { parseTradesQuery, type QueryResult, type TradesQuery } from './trades-query.js';
