/**
 * What the API answers to one request, as openapi/openapi.yaml says, in the order a server decides:
 * the route (404, 405), the key (401), then the body (400: not JSON, over the documented limits, or
 * refused by the validator generated from the document), else 200 with the accepted calls.
 */
import { validateGroupRequest } from '../generated/validate.js';
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from '../generated/constants.js';
import type { ErrorResponse, GroupResponse, WireGroupCall } from '../types.js';
import { INVALID_KEY, INVALID_REQUEST } from './messages.js';
import { describeProblems, invalidRequestMessage } from './problems.js';

/** The operation's path in the document. */
export const GROUP_PATH = '/api/group';

export type Verdict =
  | { status: 200; calls: WireGroupCall[]; headers?: undefined }
  | { status: number; body: ErrorResponse; headers?: Record<string, string> };

/** What the mock needs to know of a request to judge it. */
export interface Judged {
  method: string;
  url: URL;
  headers: Headers;
  bytes: Uint8Array;
}

export interface Rules {
  /** The only valid key; any non-empty key when undefined. */
  apiKey: string | undefined;
  /** Where `/api/group` lives: origin (or undefined: any) and the path prefix before it. */
  origin: string | undefined;
  prefix: string;
}

const refuse = (status: number, message: string, headers?: Record<string, string>): Verdict => ({
  status,
  body: { success: false, message },
  ...(headers ? { headers } : {}),
});
const invalid = (...problems: string[]): Verdict => refuse(400, invalidRequestMessage(INVALID_REQUEST, problems));

// As Prism reads a body: invalid UTF-8 becomes U+FFFD (inside a string the body stays valid JSON),
// and a leading byte order mark is kept (so JSON.parse refuses it).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function route(request: Judged, rules: Rules): Verdict | undefined {
  const path = rules.prefix + GROUP_PATH;
  if ((rules.origin !== undefined && request.url.origin !== rules.origin) || request.url.pathname !== path) {
    return refuse(404, `No route for ${request.method} ${request.url.pathname}: the Group API is POST ${path}`);
  }
  if (request.method !== 'POST') {
    return refuse(405, `Method ${request.method} is not allowed on ${path}: use POST`, { allow: 'POST' });
  }
  return undefined;
}

function authorize(headers: Headers, rules: Rules): Verdict | undefined {
  const key = headers.get('x-api-key');
  const valid = rules.apiKey === undefined ? Boolean(key) : key === rules.apiKey;
  return valid ? undefined : refuse(401, INVALID_KEY);
}

/** `application/json` or a structured `application/<name>+json` type (any case, any parameters), as Prism takes. */
function isJson(contentType: string | null): boolean {
  return contentType !== null && /^application\/(?:[^\s/;+]+\+)?json$/i.test(contentType.split(';')[0]!.trim());
}

function judgeBody(request: Judged): Verdict {
  if (!isJson(request.headers.get('content-type'))) {
    return invalid(`the body must be sent as JSON (content-type: application/json or application/<name>+json), got content-type ${JSON.stringify(request.headers.get('content-type') ?? '(none)')}`);
  }
  const size = request.bytes.byteLength;
  if (size > MAX_REQUEST_BYTES) {
    return invalid(`the body holds ${size} bytes of JSON; one request holds at most ${MAX_REQUEST_BYTES}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(request.bytes));
  } catch (error) {
    return invalid(`the body is not valid JSON (${size === 0 ? 'it is empty' : error instanceof Error ? error.message : String(error)})`);
  }
  if (Array.isArray(body) && body.length > MAX_CALLS_PER_REQUEST) {
    return invalid(`the body holds ${body.length} group calls; one request holds at most ${MAX_CALLS_PER_REQUEST}`);
  }
  if (!validateGroupRequest(body)) return invalid(...describeProblems(validateGroupRequest.errors ?? [], body));
  return { status: 200, calls: body as WireGroupCall[] };
}

/** The API's answer to a request. */
export function judge(request: Judged, rules: Rules): Verdict {
  return route(request, rules) ?? authorize(request.headers, rules) ?? judgeBody(request);
}

/** The 200 body for an accepted request. */
export function accepted(eventId: string): GroupResponse {
  return { success: true, eventId };
}
