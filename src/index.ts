export { ThriveStack } from './client.js';
export { createWireClient, type WireClient, type WireClientOptions } from './wire-client.js';
export {
  ThriveStackError,
  APIError,
  BadRequestError,
  AuthenticationError,
  RateLimitError,
  ServerError,
  UnexpectedResponseError,
  RedirectError,
  ConnectionError,
  TimeoutError,
  RequestAbortedError,
  ValidationError,
  QueueError,
  ConfigurationError,
} from './errors.js';
export type { ClientOptions, RequestOptions } from './options.js';
export type { QueueOptions, DeliveryFailure, Delivery, EnqueueOptions, QueueThrottle } from './queue-options.js';
export type { CloseOptions, CloseReport } from './queue.js';
export { MAX_ANSWER_BYTES, type DebugEvent } from './transport.js';
export type { ValidationIssue } from './validation-issue.js';
export type { Logger, LogLevel } from './logger.js';
export { MAX_NESTING_DEPTH } from './json-safety.js';
export type { GroupCall, GroupTraits, GroupContext, GroupResponse, ErrorResponse, WireGroupCall } from './types.js';
export type { paths, components, operations } from './generated/schema.js';
export { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES, DEFAULT_BASE_URL } from './generated/constants.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
