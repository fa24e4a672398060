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
 *   │   ├── RedirectError        3xx: never followed, never retried (nothing was sent to the new address)
 *   │   └── UnexpectedResponseError  a 2xx whose body is not the documented JSON (or is oversized)
 *   ├── ConnectionError          no answer (DNS, refused, reset): retried
 *   │   └── TimeoutError         no answer within `timeout`: retried
 *   ├── RequestAbortedError      the caller's AbortSignal fired
 *   ├── ValidationError          refused before sending: nothing was sent
 *   ├── QueueError               the batching queue refused a call (closed or full)
 *   └── ConfigurationError       bad client options (no API key, insecure baseUrl, ...)
 *
 * No error holds the API key: text from the server (messages, header values) passes through the
 * client's redaction first, and no error keeps the request (whose headers hold the key) or a foreign
 * error that might (a fetch library's error is kept as a redacted summary: name, code, message).
 * `toJSON()` keeps what a report needs, so `JSON.stringify(error)` loses no reason.
 */
import type { ValidationIssue } from './validation-issue.js';
import { isRetryableStatus } from './retry-policy.js';

/** The fields `toJSON()` keeps, when an error has them. */
const JSON_FIELDS = ['status', 'attempts', 'serverMessage', 'requestId', 'retryAfter', 'location', 'issues', 'headers', 'cause'] as const;

export class ThriveStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /**
   * What `JSON.stringify(error)` writes: name, message and, when present, status, attempts,
   * serverMessage, requestId, retryAfter, location, issues, the (redacted) response headers and a
   * summarized cause. Never the key, never the request.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const field of JSON_FIELDS) {
      let value = (this as Record<string, unknown>)[field];
      if (field === 'cause' && value !== undefined) value = isSummary(value) ? value : undefined;
      if (value !== undefined) out[field] = value;
    }
    return out;
  }
}

/** A foreign error reduced to what is safe to keep: its name, code and (redacted) message. */
export interface ErrorSummary {
  name: string;
  message: string;
  code?: string;
  cause?: ErrorSummary;
}

const SUMMARY = Symbol('thrivestack.errorSummary');

function isSummary(value: unknown): value is ErrorSummary {
  return typeof value === 'object' && value !== null && SUMMARY in value;
}

/**
 * A redacted summary of a thrown value, following its `cause` chain a few levels. The original is
 * dropped: a fetch library's error may hold the request (ky/undici `error.request`, axios
 * `error.config.headers`), whose headers hold the key.
 */
export function summarizeError(error: unknown, clean: (text: string) => string, depth = 0): ErrorSummary {
  const summary: ErrorSummary = { name: 'Error', message: '' };
  Object.defineProperty(summary, SUMMARY, { value: true });
  try {
    if (typeof error === 'object' && error !== null) {
      const e = error as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
      summary.name = typeof e.name === 'string' ? clean(e.name) : 'Error';
      summary.message = clean(typeof e.message === 'string' ? e.message : safeString(error));
      if (typeof e.code === 'string' || typeof e.code === 'number') summary.code = clean(String(e.code));
      if (e.cause !== undefined && e.cause !== null && depth < 3) summary.cause = summarizeError(e.cause, clean, depth + 1);
    } else {
      summary.message = clean(safeString(error));
    }
  } catch {
    summary.message ||= 'an error that could not be read'; // a getter that throws, a revoked proxy...
  }
  return summary;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

export interface APIErrorDetails {
  status: number;
  /** The server's own words (`message` of the error body), when it gave any: redacted, cleaned, cut. */
  serverMessage: string | undefined;
  /** Response headers, already redacted and cleaned. */
  headers: Record<string, string>;
  /** How many requests were made in all, retries included. */
  attempts: number;
  /** The answer's request id (`x-request-id`, `request-id`, `x-amzn-requestid` or `cf-ray`), cleaned. */
  requestId?: string | undefined;
}

export class APIError extends ThriveStackError {
  readonly status: number;
  readonly serverMessage: string | undefined;
  readonly attempts: number;
  /** The id the server gave this answer, to quote to ThriveStack support. */
  readonly requestId: string | undefined;
  /** Response headers (never the request's), each value redacted and cleaned. */
  readonly headers: Record<string, string>;

  constructor(message: string, details: APIErrorDetails) {
    super(message);
    this.status = details.status;
    this.serverMessage = details.serverMessage;
    this.attempts = details.attempts;
    this.requestId = details.requestId;
    this.headers = details.headers;
  }
}

export class BadRequestError extends APIError {}
export class AuthenticationError extends APIError {}
export class ServerError extends APIError {}
export class UnexpectedResponseError extends APIError {}

/**
 * The API's address answered with a redirect (3xx, or a browser's opaque redirect). The client never
 * follows one: the request, key included, goes nowhere but `baseUrl`, and the calls were not delivered.
 */
export class RedirectError extends APIError {
  /** The origin the answer pointed to (e.g. `https://other.example`), when it said and could be read. */
  readonly location: string | undefined;
  constructor(message: string, details: APIErrorDetails & { location: string | undefined }) {
    super(message, details);
    this.location = details.location;
  }
}

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
  /** `cause`, when given, is a redacted summary of what the fetch threw (never the thrown object). */
  constructor(message: string, attempts: number, options?: { cause?: ErrorSummary }) {
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

type ResponseDetails = APIErrorDetails & {
  retryAfterMs?: number | undefined;
  /** Where a redirect pointed (an origin), or undefined when it did not say. */
  location?: string | undefined;
  /** The byte cap a 2xx body went over, when that is why it is refused. */
  oversized?: number | undefined;
  /**
   * The answer was a redirect (whatever its status): `followed` when a custom fetch followed it anyway,
   * `sameOrigin` when that took it to another address on the request's own origin.
   */
  redirect?: { followed: boolean; sameOrigin?: boolean | undefined } | undefined;
  /** The longest `Retry-After` wait the client honours (`maxRetryAfter`), in ms. */
  retryAfterCapMs?: number | undefined;
};

type Make = <T extends APIError, D extends APIErrorDetails>(Class: new (message: string, details: D) => T, message: string, details: D) => T;

/**
 * The one place an error status becomes an error class with a message that says what to do (and,
 * when the answer carried one, its request id to quote to support).
 */
export function errorFromResponse(details: ResponseDetails): APIError {
  const id = details.requestId ? ` (request id ${details.requestId}: quote it to ThriveStack support)` : '';
  return errorFor(details, (Class, message, d) => new Class(message + id, d));
}

function errorFor(details: ResponseDetails, make: Make): APIError {
  const { status, serverMessage, attempts } = details;
  const said = withServerWords(serverMessage);
  const tries = attemptsText(attempts);
  if (details.redirect || (status >= 300 && status < 400)) {
    const where = details.location
      ? `a redirect to ${details.redirect?.sameOrigin ? 'another address on the same origin, ' : ''}${details.location}`
      : 'a redirect';
    const what = details.redirect?.followed
      ? `The \`fetch\` in use followed ${where} although asked not to (redirect: 'manual'): the request, key ` +
        `included, may have been sent there. The calls are not counted as delivered. Use a fetch that honours ` +
        `\`redirect: 'manual'\`, and check \`baseUrl\``
      : `ThriveStack's address answered ${status === 0 ? 'with an opaque redirect (status 0)' : status} with ${where}. ` +
        `The client never follows redirects: nothing was sent there and the calls were not delivered. Check \`baseUrl\``;
    return make(
      RedirectError,
      `${what} (it must be the API's own address, e.g. https://api.app.thrivestack.ai).`,
      { ...details, location: details.location },
    );
  }
  if (status === 400) {
    return make(BadRequestError, 
      `ThriveStack refused the request (400 Bad Request)${said}. Fix the group calls it names; ` +
        `sending them again unchanged will fail again.`,
      details,
    );
  }
  if (status === 401) {
    return make(AuthenticationError, 
      `ThriveStack refused the API key (401 Unauthorized)${said}. Check the key passed as \`apiKey\` ` +
        `or THRIVESTACK_API_KEY (ThriveStack dashboard: Settings → API Keys).`,
      details,
    );
  }
  if (status === 429) {
    const retryAfter = details.retryAfterMs === undefined ? undefined : details.retryAfterMs / 1000;
    const cap = details.retryAfterCapMs!;
    const wait = retryAfter === undefined
      ? 'Wait before sending again'
      : details.retryAfterMs! > cap
        ? `It asked for an unreasonable ${retryAfter}s wait (\`maxRetryAfter\` is ${cap / 1000}s): wait a while before sending again`
        : `Wait ${retryAfter}s before sending again`;
    return make(RateLimitError, 
      `ThriveStack rate limit exceeded (429) after ${tries}${said}. ${wait}, raise \`maxRetries\`, ` +
        `or use \`enqueue()\`, which batches calls and backs off for you.`,
      { ...details, retryAfter },
    );
  }
  if (status >= 500) {
    return make(ServerError, 
      `ThriveStack server error (${status}) after ${tries}${said}. The calls may not have been recorded: ` +
        `send them again later (keep them, e.g. from the queue's onError hook).`,
      details,
    );
  }
  if (status >= 200 && status < 300 && details.oversized !== undefined) {
    return make(UnexpectedResponseError, 
      `ThriveStack answered ${status} (the calls were most likely accepted) but its body was larger than ` +
        `${details.oversized} bytes, far beyond the documented {success, eventId} JSON; the rest was not read. ` +
        `Do not resend blindly; check baseUrl points at the ThriveStack API.`,
      details,
    );
  }
  if (status >= 200 && status < 300) {
    return make(UnexpectedResponseError, 
      `ThriveStack answered ${status} (the calls were most likely accepted) but its body was not the ` +
        `documented {success, eventId} JSON. Do not resend blindly; check baseUrl points at the ThriveStack API.`,
      details,
    );
  }
  const advice = isRetryableStatus(status)
    ? 'Retry later, or raise `maxRetries`.'
    : 'This status is not retried; check the request and `baseUrl`.';
  return make(APIError, `ThriveStack answered ${status} after ${tries}${said}. ${advice}`, details);
}
