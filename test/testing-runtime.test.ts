/**
 * `thrivestack-group/testing` is as portable as the main entry, and apart from it:
 * - it bundles for the browser (esbuild, platform browser) without reaching src/cli/ or a Node builtin;
 * - the bundle runs where only web-standard globals exist (a bare `vm` context: no `process`, `Buffer`,
 *   `require` or `global`), and answers there;
 * - the main entry's browser bundle holds nothing of src/testing/ (tree-shaken out: the main bundle
 *   does not grow).
 * (test/runtime-core.test.ts checks every file under src/ but src/cli/, src/testing/ included, for
 * imports of Node builtins.)
 */
import { runInContext, createContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function browserBundle(entry: string, format: 'esm' | 'iife' = 'esm'): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format,
    ...(format === 'iife' ? { globalName: 'thrivestackTesting' } : {}),
    target: 'es2022',
    outdir: join(ROOT, 'test-output', 'unused'), // write: false: nothing is written
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, metafile: result.metafile };
}

const inputsOf = (metafile: Metafile): string[] => Object.keys(metafile.inputs).map((input) => input.replace(/\\/g, '/'));

describe('the testing entry', () => {
  it('bundles for the browser with everything included, reaching neither src/cli/ nor the client', async () => {
    const { metafile } = await browserBundle('src/testing/index.ts');
    const inputs = inputsOf(metafile);
    expect(inputs).toContain('src/testing/mock-api.ts');
    expect(inputs).toContain('src/generated/validate.js');
    expect(inputs.filter((input) => input.startsWith('src/cli/'))).toEqual([]);
    // a mock of the server needs none of the client: no transport, no openapi-fetch
    expect(inputs.filter((input) => /src\/(client|transport|queue)\.ts$|openapi-fetch/.test(input))).toEqual([]);
    const external = Object.values(metafile.inputs).flatMap((input) => input.imports.filter((entry) => entry.external));
    expect(external).toEqual([]);
  });

  it('runs with web-standard globals only (no process, Buffer, require or global)', async () => {
    const { code } = await browserBundle('src/testing/index.ts', 'iife');
    const web = { Request, Response, Headers, URL, TextEncoder, TextDecoder, AbortController, AbortSignal, DOMException, setTimeout, clearTimeout, JSON, Promise };
    const sandbox = createContext({ ...web });
    runInContext(code, sandbox);
    expect(runInContext('typeof process + typeof Buffer + typeof require + typeof global', sandbox)).toBe('undefinedundefinedundefinedundefined');
    const result = await runInContext(
      `(async () => {
        const api = thrivestackTesting.createMockApi();
        const post = (body) => api.fetch('https://api.app.thrivestack.ai/api/group', {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: JSON.stringify(body),
        });
        const ok = await post([{ group_id: 'g', user_id: 'u', traits: { created_at: '2023-06-01' } }]);
        const bad = await post([{ group_id: 'g', user_id: 'u', timestamp: 'yesterday' }]);
        api.failNext('reset');
        const reset = await post([]).then(() => 'answered', (error) => error.constructor.name + ': ' + error.message);
        return { ok: ok.status, bad: [bad.status, (await bad.json()).message], reset, calls: api.calls.length };
      })()`,
      sandbox,
    );
    expect(result).toEqual({
      ok: 200,
      bad: [400, 'Invalid request: [0].timestamp must be an ISO 8601 date-time such as "2024-01-15T10:30:00Z"'],
      reset: 'TypeError: fetch failed',
      calls: 1,
    });
  });

  it('is not in the main entry: its browser bundle holds nothing of src/testing/', async () => {
    const { metafile } = await browserBundle('src/index.ts');
    const inputs = inputsOf(metafile);
    expect(inputs).toContain('src/client.ts');
    expect(inputs.filter((input) => input.startsWith('src/testing/'))).toEqual([]);
  });
});
