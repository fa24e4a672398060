/**
 * In a real browser: the Chromium `test/support/browser.ts` finds (CHROMIUM_PATH, else the one npm
 * installed with @sparticuz/chromium, else a system Chromium), driven by playwright-core. With none,
 * these tests fail with one line saying how to set CHROMIUM_PATH; they never skip.
 *
 * 1. Which browser: the order of preference, the one-line failure, and that here, without
 *    CHROMIUM_PATH, the npm-provided Chromium is the one that starts.
 * 2. A page served from 127.0.0.1 imports the package's ESM build (and the `/testing` entry, whose
 *    in-process mock it drives too) (built here with the same tsup
 *    options as `npm run build`, into a temporary directory; its dependency openapi-fetch comes from an
 *    import map) and sends the reference's example Group call to the Prism mock, cross-origin. The page
 *    shows the eventId, and the ValidationError of a bad call; the test reads both from the page.
 * 3. The docs built by `npm run docs` open from file:// with the network available, and show the
 *    operation, the request fields, every reserved trait and the reference example; every request the
 *    page makes while loading and being read is recorded, and there must be none but the file itself.
 *    A screenshot goes to test-output/docs.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'tsup';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserOptions, testingOptions } from '../tsup.config.js';
import {
  browserCandidates,
  launchBrowser,
  NoBrowserError,
  SYSTEM_CHROMIUM,
  type BrowserHost,
  type LaunchedBrowser,
} from './support/browser.js';
import { npmChromiumSupports, npmChromiumVersion } from './support/npm-chromium.js';
import { referenceCall, referenceWireBody, TEST_KEY } from './support/reference.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Work directories of this file, removed in afterAll. */
const scratch = mkdtempSync(join(tmpdir(), 'thrivestack-browser-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function firstPage(context: BrowserContext): Promise<Page> {
  return context.pages()[0] ?? (await context.newPage());
}

/** Console errors and uncaught exceptions of a page, to assert there were none. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

describe('which Chromium the browser tests use (test/support/browser.ts)', () => {
  const linux: BrowserHost = { platform: 'linux', arch: 'x64', isExecutable: () => true };
  const only = (...paths: string[]): BrowserHost => ({ ...linux, isExecutable: (path) => paths.includes(path) });

  it('prefers CHROMIUM_PATH, then the npm Chromium, then /usr/bin/chromium, then chromium on PATH', () => {
    const everything = only('/opt/chrome', SYSTEM_CHROMIUM, '/usr/local/bin/chromium', '/snap/bin/chromium-browser');
    const path = '/usr/local/bin:/snap/bin';
    expect(browserCandidates({ CHROMIUM_PATH: '/opt/chrome', PATH: path }, everything)).toEqual([
      { source: 'CHROMIUM_PATH', executablePath: '/opt/chrome' },
    ]);
    expect(browserCandidates({ PATH: path }, everything)).toEqual([
      { source: 'npm' },
      { source: 'system', executablePath: SYSTEM_CHROMIUM },
      { source: 'system', executablePath: '/usr/local/bin/chromium' },
      { source: 'system', executablePath: '/snap/bin/chromium-browser' },
    ]);
    // an empty CHROMIUM_PATH counts as unset
    expect(browserCandidates({ CHROMIUM_PATH: ' ', PATH: path }, only())).toEqual([{ source: 'npm' }]);
    // the npm Chromium is a Linux x64 binary: elsewhere only a system one is a candidate
    expect(browserCandidates({ PATH: path }, { ...only('/usr/local/bin/chromium'), platform: 'darwin', arch: 'arm64' })).toEqual([
      { source: 'system', executablePath: '/usr/local/bin/chromium' },
    ]);
    expect(browserCandidates({ PATH: path }, { ...only(), arch: 'arm64' })).toEqual([]);
  });

  it('falls back from an npm Chromium that does not start to the system one, in that order', async () => {
    const tried: string[] = [];
    const fake = { newContext: async () => ({ close: async () => undefined }), close: async () => undefined } as unknown as Browser;
    const launched = await launchBrowser({
      env: { PATH: '' },
      host: only(SYSTEM_CHROMIUM),
      npmExecutable: async () => '/tmp/unpacked/chromium',
      launch: async (executablePath) => {
        tried.push(executablePath);
        if (executablePath === '/tmp/unpacked/chromium') throw new Error('error while loading shared libraries: libnss3.so\nmore');
        return fake;
      },
    });
    expect(tried).toEqual(['/tmp/unpacked/chromium', SYSTEM_CHROMIUM]);
    expect(launched.source).toBe('system');
    expect(launched.executablePath).toBe(SYSTEM_CHROMIUM);
  });

  it('closes a browser that started but cannot open a context before trying the next one', async () => {
    const closed: string[] = [];
    const browserAt = (path: string, works: boolean) =>
      ({
        newContext: async () => {
          if (!works) throw new Error('Target page, context or browser has been closed');
          return { close: async () => undefined };
        },
        close: async () => void closed.push(path),
      }) as unknown as Browser;
    const launched = await launchBrowser({
      env: { PATH: '' },
      host: only(SYSTEM_CHROMIUM),
      npmExecutable: async () => '/tmp/unpacked/chromium',
      launch: async (executablePath) => browserAt(executablePath, executablePath === SYSTEM_CHROMIUM),
    });
    expect(launched.source).toBe('system');
    expect(closed).toEqual(['/tmp/unpacked/chromium']);
    await launched.close();
    expect(closed).toEqual(['/tmp/unpacked/chromium', SYSTEM_CHROMIUM]);
  });

  it('fails with one line naming what was tried and how to set CHROMIUM_PATH when no browser starts', async () => {
    const failing = launchBrowser({
      env: { PATH: '' },
      host: only(SYSTEM_CHROMIUM),
      npmExecutable: async () => {
        throw new Error('ENOSPC: no space left on device\n    at inflate');
      },
      launch: async () => {
        throw new Error('browserType.launch: Failed to launch\nCall log: ...');
      },
    });
    const error = await failing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoBrowserError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('the npm Chromium (@sparticuz/chromium): ENOSPC: no space left on device');
    expect(message).toContain(`${SYSTEM_CHROMIUM}: browserType.launch: Failed to launch`);
    expect(message).toMatch(/Point CHROMIUM_PATH at a Chromium or Chrome executable, e\.g\. CHROMIUM_PATH=\S+ npm test$/);

    const none = await launchBrowser({ env: { PATH: '' }, host: { ...only(), platform: 'win32' } }).catch((caught: unknown) => caught);
    expect((none as Error).message).toMatch(/^No Chromium could start for the browser tests: none found .*CHROMIUM_PATH=/);
    expect((none as Error).message).not.toContain('\n');
  });

  it('takes CHROMIUM_PATH at its word: a wrong one fails, naming it, instead of falling back', async () => {
    const missing = join(scratch, 'no-such-chromium');
    const error = await launchBrowser({ env: { ...process.env, CHROMIUM_PATH: missing } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoBrowserError);
    expect((error as Error).message).toContain(`CHROMIUM_PATH=${missing}: not an executable file`);
  });

  it('starts the npm-provided Chromium here when CHROMIUM_PATH is not set (Linux x64)', async () => {
    const launched = await launchBrowser({ env: { ...process.env, CHROMIUM_PATH: undefined } });
    try {
      if (npmChromiumSupports(process.platform, process.arch)) {
        expect(launched.source).toBe('npm');
        // the Chromium of the installed package (143.0.x ships Chromium 143)
        expect(launched.browser.version().split('.')[0]).toBe(npmChromiumVersion().split('.')[0]);
      } else {
        expect(launched.source).toBe('system');
      }
      const page = await launched.context.newPage();
      await page.setContent('<p id="p">rendered</p>');
      expect(await page.locator('#p').innerText()).toBe('rendered');
    } finally {
      await launched.close();
    }
  }, 150_000);
});

describe('the ESM build in Chromium, against the Prism mock', () => {
  const prismUrl = inject('prismUrl');
  let server: Server | undefined;
  let browser: LaunchedBrowser | undefined;
  let pageUrl = '';

  const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>thrivestack-group in a browser</title>
  <link rel="icon" href="data:,">
  <script type="importmap">{ "imports": { "openapi-fetch": "/vendor/openapi-fetch.mjs" } }</script>
</head>
<body>
  <h1>ThriveStack Group API from a browser</h1>
  <p>eventId: <output id="event-id">pending</output></p>
  <p>bad call: <output id="validation">pending</output></p>
  <p>with thrivestack-group/testing: <output id="mock">pending</output></p>
  <p>bodies sent:</p><pre id="sent"></pre>
  <script type="module" src="/app.js"></script>
</body>
</html>`;

  const APP = `import { ThriveStack, ValidationError } from '/lib/index.js';

const show = (id, text) => { document.getElementById(id).textContent = text; };
const config = await (await fetch('/config.json')).json();
const sent = [];
const client = new ThriveStack({
  apiKey: config.apiKey,
  baseUrl: config.prismUrl,
  maxRetries: 0,
  // the client's own debug hook: the page shows each request body it sends
  debug: (event) => { if (event.type === 'request') sent.push(JSON.parse(event.body)); },
});
try {
  const result = await client.group(config.call);
  show('event-id', result.eventId);
} catch (error) {
  show('event-id', 'failed: ' + error.name + ': ' + error.message);
}
try {
  await client.group({ ...config.call, traits: { ...config.call.traits, employees: 'many' } });
  show('validation', 'no error: the bad call was accepted');
} catch (error) {
  show('validation', (error instanceof ValidationError ? 'ValidationError' : 'not a ValidationError (' + error.name + ')') + ': ' + error.message);
}
show('sent', JSON.stringify(sent));
try {
  // thrivestack-group/testing in the page: the in-process mock, a retried 429, and a 401 without a key
  const { createMockApi } = await import('/lib/testing.js');
  const api = createMockApi();
  const mocked = new ThriveStack({ apiKey: 'test-key', fetch: api.fetch, minRetryDelay: 1 });
  const first = await mocked.group(config.call);
  api.failNext(429, { retryAfter: 0 });
  const second = await mocked.group({ ...config.call, userId: 'user-2' });
  const keyless = await api.fetch(new Request('https://api.app.thrivestack.ai/api/group', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }));
  show('mock', JSON.stringify({
    eventIds: [first.eventId, second.eventId],
    users: api.calls.map((call) => call.user_id),
    statuses: api.requests.map((request) => request.status),
    keyless: keyless.status,
  }));
} catch (error) {
  show('mock', 'failed: ' + error.name + ': ' + error.message);
}
document.body.dataset.done = 'true';
`;

  beforeAll(async () => {
    // the package's ESM bundle, built exactly as `npm run build` builds it (same options), elsewhere
    const outDir = join(scratch, 'lib');
    // the browser build (the `browser` condition), exactly as `npm run build` builds it
    await build({ ...browserOptions, outDir, config: false, silent: true });
    await build({ ...testingOptions, format: ['esm'], dts: false, outDir, config: false, silent: true });
    const bundle = readFileSync(join(outDir, 'index.browser.js'), 'utf8');
    // nothing of a server runtime is in it
    expect(bundle).not.toMatch(/beforeExit|process\.env|process\.versions/);
    const testingBundle = readFileSync(join(outDir, 'testing.js'), 'utf8');
    // the testing entry stands alone: no bare import at all
    expect([...testingBundle.matchAll(/^import\s[^'"]*from\s*["']([^"'./][^"']*)["']/gm)]).toEqual([]);
    const bareImports = [...bundle.matchAll(/^import\s[^'"]*from\s*["']([^"'./][^"']*)["']/gm)].map((match) => match[1]);
    // every bare import of the bundle must be in the page's import map
    expect(bareImports).toEqual(['openapi-fetch']);

    const files: Record<string, { type: string; body: string | Buffer }> = {
      '/': { type: 'text/html; charset=utf-8', body: PAGE },
      '/app.js': { type: 'text/javascript; charset=utf-8', body: APP },
      '/lib/index.js': { type: 'text/javascript; charset=utf-8', body: bundle },
      '/lib/testing.js': { type: 'text/javascript; charset=utf-8', body: testingBundle },
      '/vendor/openapi-fetch.mjs': {
        type: 'text/javascript; charset=utf-8',
        body: readFileSync(require.resolve('openapi-fetch/dist/index.mjs')),
      },
      '/config.json': {
        type: 'application/json',
        body: JSON.stringify({ apiKey: TEST_KEY, prismUrl, call: referenceCall }),
      },
    };
    // A strict Content-Security-Policy: no 'unsafe-eval' (so no eval or new Function anywhere in the
    // bundle, generated validator included), scripts only from the page's origin plus its import map.
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(PAGE)![1]!;
    const importMapHash = createHash('sha256').update(importMap).digest('base64');
    const csp = `default-src 'none'; script-src 'self' 'sha256-${importMapHash}'; connect-src 'self' ${prismUrl}; img-src data:`;
    server = createServer((request, response) => {
      const file = files[new URL(request.url ?? '/', 'http://127.0.0.1').pathname];
      if (!file) return void response.writeHead(404).end();
      response
        .writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', 'content-security-policy': csp })
        .end(file.body);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, '127.0.0.1', () => resolve());
    });
    pageUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    browser = await launchBrowser();
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('shows the eventId of the reference call, and a ValidationError for a bad call that is never sent', async () => {
    const page = await firstPage(browser!.context);
    const errors = collectErrors(page);
    const posts: { headers: Record<string, string> }[] = [];
    const responses: { status: number; violations: string | null }[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(prismUrl) && request.method() === 'POST') {
        posts.push({ headers: request.headers() });
      }
    });
    page.on('response', (response) => {
      if (response.url().startsWith(prismUrl) && response.request().method() === 'POST') {
        responses.push({ status: response.status(), violations: response.headers()['sl-violations'] ?? null });
      }
    });

    await page.goto(pageUrl);
    await page.waitForSelector('body[data-done="true"]', { timeout: 20_000 });

    expect(await page.locator('#event-id').innerText()).toBe('evt_abc123xyz');
    const validation = await page.locator('#validation').innerText();
    expect(validation).toMatch(/^ValidationError: Invalid group call \(1 problem\); nothing was sent/);
    expect(validation).toContain('traits.employees');

    // one request crossed origins to Prism (so CORS worked) with the reference's body, which Prism
    // found valid (200, no sl-violations); the bad call never left the page
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers['x-api-key']).toBe(TEST_KEY);
    expect(responses).toEqual([{ status: 200, violations: null }]);
    expect(JSON.parse(await page.locator('#sent').innerText())).toEqual([referenceWireBody]);
    expect(errors).toEqual([]);
  });

  it('runs thrivestack-group/testing in the page: accepted calls, a scripted 429 retried, a 401 without a key', async () => {
    const page = await firstPage(browser!.context);
    if (page.url() !== pageUrl) await page.goto(pageUrl); // when run on its own
    await page.waitForSelector('body[data-done="true"]', { timeout: 20_000 });
    expect(JSON.parse(await page.locator('#mock').innerText())).toEqual({
      eventIds: ['evt_mock_1', 'evt_mock_2'],
      users: [referenceWireBody[0]!.user_id, 'user-2'],
      statuses: [200, 429, 200, 401],
      keyless: 401,
    });
  });
});

describe('the docs (npm run docs) in Chromium, network available', () => {
  const spec = parse(readFileSync(join(ROOT, 'openapi/openapi.yaml'), 'utf8'));
  let browser: LaunchedBrowser | undefined;

  beforeAll(async () => {
    await promisify(execFile)(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'docs'], {
      cwd: ROOT,
      timeout: 120_000,
    });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('render the operation, the request fields, the reserved traits and the example from file://, and request nothing else', async () => {
    const context = browser!.context;
    // Every request of the context (pages, workers, beacons), network left on and nothing routed:
    // what the page asks for is what a reader's browser would send.
    const requested: string[] = [];
    context.on('request', (request) => requested.push(request.url()));
    const page = await context.newPage();
    const errors = collectErrors(page);
    const docsUrl = pathToFileURL(join(ROOT, 'docs/index.html')).href;

    await page.goto(docsUrl);
    await page.getByText('Operations', { exact: true }).waitFor({ timeout: 20_000 });
    // as a reader would: open the operation, expand the schema, and unfold the example
    await page.getByText('+ Show', { exact: true }).first().click();
    await page.getByText('Expand all', { exact: true }).first().click();
    const folded = page.locator('pre[data-testid="source-code"] button[aria-label="collapse"]:not(.expanded)');
    for (let i = 0; i < 20 && (await folded.count()) > 0; i++) await folded.first().click();

    const text = (await page.locator('body').innerText()).replace(/\u200b/g, '');
    const lines = text.split('\n').map((line) => line.trim());
    const flat = text.replace(/\s+/g, ' ');

    expect(flat).toContain('POST /api/group');
    expect(flat).toContain(spec.paths['/api/group'].post.summary);
    for (const field of ['group_id', 'user_id', 'traits', 'context', 'timestamp']) expect(lines).toContain(field);
    const reserved = Object.keys(spec.components.schemas.GroupTraits.properties);
    expect(reserved).toEqual(expect.arrayContaining(['account_name', 'employees']));
    for (const trait of reserved) expect(lines).toContain(`traits.${trait}`);
    expect(flat).toContain('traits.employees number Number of employees');

    // the reference example, value by value (nested objects unfolded)
    const example = spec.paths['/api/group'].post.requestBody.content['application/json'].examples.reference.value[0];
    const leaves = (value: Record<string, unknown>): [string, unknown][] =>
      Object.entries(value).flatMap(([key, inner]) =>
        inner && typeof inner === 'object' ? leaves(inner as Record<string, unknown>) : [[key, inner] as [string, unknown]],
      );
    for (const [key, value] of leaves(example)) expect(flat).toContain(`"${key}": ${JSON.stringify(value)}`);
    expect(flat).toContain('"eventId": "evt_abc123xyz"');

    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-output/docs.png'), fullPage: true });

    // Redoc's telemetry batches its events and sends them seconds later (it did, to
    // otel.cloud.redocly.com, before `npm run docs` turned it off): give late requests time to show,
    // then close the page, which flushes whatever is still batched.
    await page.waitForTimeout(6_000);
    await page.close();

    expect(requested[0]).toBe(docsUrl); // the recorder saw the page itself
    expect(requested.filter((url) => !/^(file|data|blob):/.test(url))).toEqual([]);
    expect(errors).toEqual([]);
  });
});
