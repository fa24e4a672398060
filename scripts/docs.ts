/**
 * `npm run docs`: docs/index.html, one self-contained file that sends no request when opened.
 * Redocly's build-docs (--inlineBundle: scripts and styles inside the file), with telemetry off, then
 * docs-offline.ts removes the page's last CDN references (see there).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { makeOffline } from './docs-offline.js';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUTPUT = 'docs/index.html';

execFileSync(
  process.execPath,
  [require.resolve('@redocly/cli/bin/cli.js'), 'build-docs', 'openapi/openapi.yaml', '--output', OUTPUT, '--inlineBundle'],
  // REDOCLY_TELEMETRY=off: no usage data from this build, and the page is built with disableTelemetry
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off' } },
);
const path = fileURLToPath(new URL(`../${OUTPUT}`, import.meta.url));
writeFileSync(path, makeOffline(readFileSync(path, 'utf8')));
console.log(`${OUTPUT}: no CDN logo, no CDN icons, no telemetry: the page sends no request when opened`);
