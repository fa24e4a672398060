/**
 * Errors serialize: `JSON.parse(JSON.stringify(error)).message` is the message for every error class
 * the package exports, and the JSON keeps status, attempts, serverMessage, requestId, issues and the
 * (redacted) headers, never the key. Errors from real failures are checked too.
 */
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import {
  APIError,
  ConnectionError,
  QueueError,
  RateLimitError,
  RedirectError,
  ThriveStack,
  ThriveStackError,
  ValidationError,
} from '../src/index.js';
import { summarizeError } from '../src/errors.js';
import { sendJson, startHostileServer } from './support/hostile-server.js';

const details = { status: 500, serverMessage: 'boom', headers: { 'x-request-id': 'req_1' }, attempts: 2, requestId: 'req_1' };
const EXAMPLES: Record<string, () => ThriveStackError> = {
  ThriveStackError: () => new ThriveStackError('base'),
  APIError: () => new APIError('api', { ...details, status: 418 }),
  BadRequestError: () => new api.BadRequestError('bad', { ...details, status: 400 }),
  AuthenticationError: () => new api.AuthenticationError('auth', { ...details, status: 401 }),
  RateLimitError: () => new RateLimitError('slow down', { ...details, status: 429, retryAfter: 3 }),
  ServerError: () => new api.ServerError('server', details),
  UnexpectedResponseError: () => new api.UnexpectedResponseError('odd', { ...details, status: 200 }),
  RedirectError: () => new RedirectError('moved', { ...details, status: 308, location: 'https://other.example' }),
  ConnectionError: () => new ConnectionError('down', 3, { cause: summarizeError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), (t) => t) }),
  TimeoutError: () => new api.TimeoutError('slow', 4),
  RequestAbortedError: () => new api.RequestAbortedError('aborted', { cause: new Error('by the caller') }),
  ValidationError: () => new ValidationError([{ path: 'calls[0].userId', message: 'is required' }]),
  QueueError: () => new QueueError('closed'),
  ConfigurationError: () => new api.ConfigurationError('no key'),
};

describe('JSON.stringify(error)', () => {
  const exported = Object.entries(api).filter(([, value]) => typeof value === 'function' && (value === ThriveStackError || value.prototype instanceof ThriveStackError));

  it('every exported error class has a case here', () => {
    expect(exported.map(([name]) => name).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(exported)('%s keeps its name and message', (name) => {
    const error = EXAMPLES[name]!();
    const json = JSON.parse(JSON.stringify(error));
    expect(json.message).toBe(error.message);
    expect(json.name).toBe(name);
  });

  it('keeps the fields a report needs', () => {
    expect(JSON.parse(JSON.stringify(EXAMPLES.RateLimitError!()))).toEqual({
      name: 'RateLimitError',
      message: 'slow down',
      status: 429,
      attempts: 2,
      serverMessage: 'boom',
      requestId: 'req_1',
      retryAfter: 3,
      headers: { 'x-request-id': 'req_1' },
    });
    expect(JSON.parse(JSON.stringify(EXAMPLES.ValidationError!())).issues).toEqual([{ path: 'calls[0].userId', message: 'is required' }]);
    expect(JSON.parse(JSON.stringify(EXAMPLES.RedirectError!())).location).toBe('https://other.example');
    expect(JSON.parse(JSON.stringify(EXAMPLES.ConnectionError!())).cause).toEqual({ name: 'Error', message: 'refused', code: 'ECONNREFUSED' });
  });

  it('leaves out a cause that is not a redacted summary (it could hold anything)', () => {
    expect(JSON.parse(JSON.stringify(EXAMPLES.RequestAbortedError!()))).not.toHaveProperty('cause');
  });

  it('an error from a real answer: message, status, request id and headers, never the key', async () => {
    const key = 'tsk_json_KEY_77aa';
    const server = await startHostileServer((res, seen) =>
      sendJson(res, 401, { success: false, message: `bad key ${seen.headers['x-api-key']}` }, { 'x-request-id': 'req_abc', 'x-echo': String(seen.headers['x-api-key']) }),
    );
    try {
      const error = await new ThriveStack({ apiKey: key, baseUrl: server.url }).group({ groupId: 'g', userId: 'u' }).catch((e) => e);
      const text = JSON.stringify(error);
      const json = JSON.parse(text);
      expect(json).toMatchObject({ name: 'AuthenticationError', status: 401, attempts: 1, requestId: 'req_abc', serverMessage: 'bad key [REDACTED]' });
      expect(json.message).toBe(error.message);
      expect(json.message).toContain('request id req_abc: quote it to ThriveStack support');
      expect(json.headers['x-echo']).toBe('[REDACTED]');
      expect(text).not.toContain(key);
    } finally {
      await server.stop();
    }
  });
});
