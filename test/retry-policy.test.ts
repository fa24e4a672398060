import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, retryDelay } from '../src/retry-policy.js';

describe('which statuses are retried', () => {
  it.each([408, 409, 429, 500, 502, 503, 504])('retries %i', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([400, 401, 403, 404, 413, 422])('never retries %i', (status) => expect(isRetryableStatus(status)).toBe(false));
});

describe('parseRetryAfter', () => {
  const h = (init: Record<string, string>) => new Headers(init);
  it('reads seconds', () => expect(parseRetryAfter(h({ 'retry-after': '30' }))).toBe(30_000));
  it('reads fractional seconds', () => expect(parseRetryAfter(h({ 'retry-after': '0.5' }))).toBe(500));
  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now)).toBe(7_000);
  });
  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter(h({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }), Date.parse('2026-01-01T00:00:00Z'))).toBe(0);
  });
  it('prefers retry-after-ms', () => expect(parseRetryAfter(h({ 'retry-after-ms': '250', 'retry-after': '30' }))).toBe(250));
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(h({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(h({ 'retry-after': '-3' }))).toBeUndefined();
    expect(parseRetryAfter(h({}))).toBeUndefined();
  });
});

describe('retryDelay', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, minRetryDelay: 100, maxRetryDelay: 1_000, maxRetryAfter: 5_000 };
  it('doubles from minRetryDelay and stops at maxRetryDelay', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, policy, undefined, noJitter))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('takes up to 25 % off as jitter', () => {
    expect(retryDelay(1, policy, undefined, () => 0.999)).toBeCloseTo(75, 0);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(3, policy);
      expect(d).toBeGreaterThanOrEqual(300);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
  it('honours the server wait, capped at maxRetryAfter', () => {
    expect(retryDelay(1, policy, new Headers({ 'retry-after': '2' }))).toBe(2_000);
    expect(retryDelay(1, policy, new Headers({ 'retry-after': '120' }))).toBe(5_000);
  });
});
