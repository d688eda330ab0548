// The HTTP layer the station and the hub share (issue 9): one place for what both servers do alike.
export { PAGE_CSP } from './csp.js';
export { createHttpApp, type Authenticator, type HttpApp, type RouteAccess, type RouteInfo } from './http-app.js';
export { formatBytes, HttpError, statusOfCode, type ErrorBody, type HttpErrorCode } from './http-error.js';
export { bearer, RequestGuard, type HostPolicy } from './request-guard.js';
export { openEventStream, SSE_MAX_BUFFERED_BYTES, type EventStream } from './sse.js';
export { parseInput, issuesText } from './validate.js';
