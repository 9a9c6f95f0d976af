export * from './config/index.js';
export { createLogger, type LoggerOptions } from './logger.js';
export { createServer, type DataServer, type SupervisorActor } from './server.js';
export { leafState, type SourceStatus } from './status.js';
export { VERSION } from './version.js';
