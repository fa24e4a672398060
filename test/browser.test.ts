/**
 * In a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run when missing; never
 * downloaded) driven by playwright-core.
 *
 * 1. A page served from 127.0.0.1 imports the package's ESM build (built here with the same tsup
 *    options as `npm run build`, into a temporary directory; its dependency openapi-fetch comes from an
 *    import map) and sends the reference's example Group call to the Prism mock, cross-origin. The page
 *    shows the eventId, and the ValidationError of a bad call; the test reads both from the page.
 * 2. The docs built by `npm run docs` open from file:// with the network cut off, and show the
 *    operation, the request fields, every reserved trait and the reference example. A screenshot goes
 *    to test-output/docs.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'tsup';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { coreOptions } from '../tsup.config.js';
import { referenceCall, referenceWireBody, TEST_KEY } from './support/reference.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const require = createRequire(import.meta.url);

/** Work directories of this file, removed in afterAll. */
const scratch = mkdtempSync(join(tmpdir(), 'thrivestack-browser-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Chromium with a fresh user-data dir of its own (under `scratch`). */
async function openBrowser(options: { offline?: boolean } = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does.`);
  }
  const userDataDir = mkdtempSync(join(scratch, 'profile-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    offline: options.offline ?? false,
  });
}

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

describe('the ESM build in Chromium, against the Prism mock', () => {
  const prismUrl = inject('prismUrl');
  let server: Server | undefined;
  let context: BrowserContext | undefined;
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
document.body.dataset.done = 'true';
`;

  beforeAll(async () => {
    // the package's ESM bundle, built exactly as `npm run build` builds it (same options), elsewhere
    const outDir = join(scratch, 'lib');
    await build({ ...coreOptions, format: ['esm'], dts: false, outDir, config: false, silent: true });
    const bundle = readFileSync(join(outDir, 'index.js'), 'utf8');
    const bareImports = [...bundle.matchAll(/^import\s[^'"]*from\s*["']([^"'./][^"']*)["']/gm)].map((match) => match[1]);
    // every bare import of the bundle must be in the page's import map
    expect(bareImports).toEqual(['openapi-fetch']);

    const files: Record<string, { type: string; body: string | Buffer }> = {
      '/': { type: 'text/html; charset=utf-8', body: PAGE },
      '/app.js': { type: 'text/javascript; charset=utf-8', body: APP },
      '/lib/index.js': { type: 'text/javascript; charset=utf-8', body: bundle },
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
    context = await openBrowser();
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('shows the eventId of the reference call, and a ValidationError for a bad call that is never sent', async () => {
    const page = await firstPage(context!);
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
});

describe('the docs (npm run docs) offline in Chromium', () => {
  const spec = parse(readFileSync(join(ROOT, 'openapi/openapi.yaml'), 'utf8'));
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    await promisify(execFile)(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'docs'], {
      cwd: ROOT,
      timeout: 120_000,
    });
    context = await openBrowser({ offline: true });
  }, 150_000);

  afterAll(async () => {
    await context?.close();
  });

  it('render the operation, the request fields, the reserved traits and the example from file:// with no network', async () => {
    const page = await firstPage(context!);
    const errors = collectErrors(page);
    const blocked: string[] = [];
    const fetched: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort('internetdisconnected');
    });
    page.on('requestfinished', (request) => fetched.push(request.url()));

    await page.goto(pathToFileURL(join(ROOT, 'docs/index.html')).href);
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

    // offline for real: nothing but the file itself was loaded; whatever else it asked for was refused
    expect(fetched.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    expect(blocked.every((url) => !url.startsWith('file:'))).toBe(true);
    expect(errors.filter((error) => !/ERR_INTERNET_DISCONNECTED|ERR_FAILED/.test(error))).toEqual([]);
  });
});
