/**
 * Every failure a caller can meet, as one hierarchy. API errors are built by one factory,
 * `errorFromResponse`, so that a status always maps to the same class and advice.
 *
 *   ThriveStackError
 *   ├── APIError                 the server answered with an error status
 *   │   ├── BadRequestError      400: fix the calls, never retried
 *   │   ├── AuthenticationError  401: fix the key, never retried
 *   │   ├── RateLimitError       429: retried; `retryAfter` says how long the server asked to wait
 *   │   ├── ServerError          5xx: retried
 *   │   └── UnexpectedResponseError  a 2xx whose body is not the documented JSON
 *   ├── ConnectionError          no answer (DNS, refused, reset): retried
 *   │   └── TimeoutError         no answer within `timeout`: retried
 *   ├── RequestAbortedError      the caller's AbortSignal fired
 *   ├── ValidationError          refused before sending: nothing was sent
 *   ├── QueueError               the batching queue refused a call (closed or full)
 *   └── ConfigurationError       bad client options (no API key, insecure baseUrl, ...)
 *
 * No error holds the API key: messages from the server pass through the client's redaction first,
 * and no error keeps the request (whose headers hold the key).
 */
import type { ValidationIssue } from './validation-issue.js';
import { isRetryableStatus } from './retry-policy.js';

export class ThriveStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface APIErrorDetails {
  status: number;
  /** The server's own words (`message` of the error body), when it gave any. */
  serverMessage: string | undefined;
  headers: Headers;
  /** How many requests were made in all, retries included. */
  attempts: number;
}

export class APIError extends ThriveStackError {
  readonly status: number;
  readonly serverMessage: string | undefined;
  readonly attempts: number;
  /** Response headers (never the request's). */
  readonly headers: Record<string, string>;

  constructor(message: string, details: APIErrorDetails) {
    super(message);
    this.status = details.status;
    this.serverMessage = details.serverMessage;
    this.attempts = details.attempts;
    this.headers = Object.fromEntries(details.headers);
  }
}

export class BadRequestError extends APIError {}
export class AuthenticationError extends APIError {}
export class ServerError extends APIError {}
export class UnexpectedResponseError extends APIError {}

export class RateLimitError extends APIError {
  /** Seconds the server asked to wait (`Retry-After` / `retry-after-ms`), when it said. */
  readonly retryAfter: number | undefined;
  constructor(message: string, details: APIErrorDetails & { retryAfter: number | undefined }) {
    super(message, details);
    this.retryAfter = details.retryAfter;
  }
}

export class ConnectionError extends ThriveStackError {
  readonly status = undefined;
  readonly attempts: number;
  constructor(message: string, attempts: number, options?: { cause?: unknown }) {
    super(message, options);
    this.attempts = attempts;
  }
}

export class TimeoutError extends ConnectionError {}

export class RequestAbortedError extends ThriveStackError {}

export class ValidationError extends ThriveStackError {
  /** Every problem found, each with its path in the caller's terms (`calls[2].traits.employees`). */
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    const list = issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n');
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`Invalid group call (${count}); nothing was sent. Fix these and call again:\n${list}`);
    this.issues = issues;
  }
}

export class QueueError extends ThriveStackError {}

export class ConfigurationError extends ThriveStackError {}

function attemptsText(attempts: number): string {
  return attempts === 1 ? '1 attempt' : `${attempts} attempts`;
}

function withServerWords(serverMessage: string | undefined): string {
  return serverMessage ? `: ${serverMessage}` : '';
}

/** The one place an error status becomes an error class with a message that says what to do. */
export function errorFromResponse(details: APIErrorDetails & { retryAfterMs?: number | undefined }): APIError {
  const { status, serverMessage, attempts } = details;
  const said = withServerWords(serverMessage);
  const tries = attemptsText(attempts);
  if (status === 400) {
    return new BadRequestError(
      `ThriveStack refused the request (400 Bad Request)${said}. Fix the group calls it names; ` +
        `sending them again unchanged will fail again.`,
      details,
    );
  }
  if (status === 401) {
    return new AuthenticationError(
      `ThriveStack refused the API key (401 Unauthorized)${said}. Check the key passed as \`apiKey\` ` +
        `or THRIVESTACK_API_KEY (ThriveStack dashboard: Settings → API Keys).`,
      details,
    );
  }
  if (status === 429) {
    const retryAfter = details.retryAfterMs === undefined ? undefined : details.retryAfterMs / 1000;
    const wait = retryAfter === undefined ? 'Wait before sending again' : `Wait ${retryAfter}s before sending again`;
    return new RateLimitError(
      `ThriveStack rate limit exceeded (429) after ${tries}${said}. ${wait}, raise \`maxRetries\`, ` +
        `or use \`enqueue()\`, which batches calls and backs off for you.`,
      { ...details, retryAfter },
    );
  }
  if (status >= 500) {
    return new ServerError(
      `ThriveStack server error (${status}) after ${tries}${said}. The calls may not have been recorded: ` +
        `send them again later (keep them, e.g. from the queue's onError hook).`,
      details,
    );
  }
  if (status >= 200 && status < 300) {
    return new UnexpectedResponseError(
      `ThriveStack answered ${status} (the calls were most likely accepted) but its body was not the ` +
        `documented {success, eventId} JSON. Do not resend blindly; check baseUrl points at the ThriveStack API.`,
      details,
    );
  }
  const advice = isRetryableStatus(status)
    ? 'Retry later, or raise `maxRetries`.'
    : 'This status is not retried; check the request and `baseUrl`.';
  return new APIError(`ThriveStack answered ${status} after ${tries}${said}. ${advice}`, details);
}
