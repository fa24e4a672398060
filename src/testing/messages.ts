/**
 * The words of the mock's answers. Where the OpenAPI document has an example for a status, the mock
 * says exactly what the example says (test/testing-mock.test.ts compares them with the document).
 */

/** The 401 example (`invalidKey`). */
export const INVALID_KEY = 'Invalid or missing API key';
/** How the 400 example (`missingField`) begins: `Invalid request: [0].user_id is required`. */
export const INVALID_REQUEST = 'Invalid request';
/** The 429 example (`rateLimited`). */
export const RATE_LIMITED = 'Rate limit exceeded, retry later';
/** The 500 example (`serverError`). */
export const SERVER_ERROR = 'Internal server error, try again later';

/** The message of a scripted answer with this status: the document's example when it has one. */
export function messageFor(status: number): string {
  if (status === 400) return `${INVALID_REQUEST}: scripted by failNext(400)`;
  if (status === 401) return INVALID_KEY;
  if (status === 429) return RATE_LIMITED;
  if (status === 500) return SERVER_ERROR;
  if (status === 502) return 'Bad gateway, try again later';
  if (status === 503) return 'Service unavailable, try again later';
  if (status === 504) return 'Gateway timeout, try again later';
  if (status >= 500) return `Server error (${status}), try again later`;
  return `Request refused (${status})`;
}
