/**
 * `thrivestack import` end to end against the Prism mock of the document: every request must satisfy
 * the contract (Prism answers 400 otherwise), with 429s and 5xx injected by a proxy in front of Prism
 * that records the calls of every request Prism accepted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from './support/fault-server.js';
import { startFaultProxy, type FaultProxy, type ProxyAction } from './support/fault-proxy.js';
import { CSV_HEADER, canonical, csvLine, runCli, tempDir, wireRow, writeLines } from './support/cli.js';
import { scaled } from './support/test-scale.js';

const prismUrl = inject('prismUrl');
/** 100,000 rows in CI (CI=true or THRIVESTACK_TEST_FULL=1), 20,000 in a default local run. */
const ROWS = scaled(100_000, 20_000);

let dir: Awaited<ReturnType<typeof tempDir>>;
const proxies: FaultProxy[] = [];
beforeAll(async () => {
  dir = await tempDir();
  await writeLines(dir.file('accounts.csv'), ROWS, csvLine, CSV_HEADER);
  await writeLines(dir.file('accounts.ndjson'), ROWS, (i) => JSON.stringify(wireRow(i)));
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await dir?.remove();
});

function plan(seed: number): (index: number) => ProxyAction {
  const random = seededRandom(seed);
  return (index): ProxyAction => {
    if (index === 3) return { type: 'status', status: 429, headers: { 'retry-after': '1' } };
    const r = random();
    if (r < 0.06) return { type: 'status', status: 429 };
    if (r < 0.1) return { type: 'status', status: 429, headers: { 'retry-after-ms': '10' } };
    if (r < 0.15) return { type: 'status', status: 503 };
    if (r < 0.17) return { type: 'reset' };
    return { type: 'forward' };
  };
}

describe.each([
  ['CSV', 'accounts.csv', 11],
  ['NDJSON', 'accounts.ndjson', 12],
])(`a ${ROWS.toLocaleString('en-US')}-row %s file through Prism, with injected 429s and 5xx`, (_name, file, seed) => {
  it('is delivered completely and every request passes the contract', async () => {
    const proxy = await startFaultProxy(prismUrl, plan(seed));
    proxies.push(proxy);
    const result = await runCli(
      ['import', dir.file(file), '--base-url', proxy.url, '--json', '--min-retry-delay', '5', '--max-retry-delay', '40', '--concurrency', '2'],
      { env: { THRIVESTACK_API_KEY: 'prism-accepts-any-key' } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: ROWS, sent: ROWS, rejected: 0, failed: 0 });
    const forwarded = proxy.log.filter((l) => l.action === 'forward');
    expect(forwarded.every((l) => l.upstreamStatus === 200)).toBe(true);
    expect(proxy.log.some((l) => l.action === 'status')).toBe(true);
    expect(proxy.accepted).toHaveLength(ROWS);
    const got = proxy.accepted.map(canonical).sort();
    const want = Array.from({ length: ROWS }, (_, i) => canonical(wireRow(i))).sort();
    expect(got.findIndex((g, i) => g !== want[i])).toBe(-1);
  }, 55_000);
});
