/**
 * scripts/docs-offline.ts, the step of `npm run docs` that strips the Redoc page's CDN references:
 * every edit must find what it replaces (a changed Redocly bundle fails the build instead of shipping a
 * page that calls a CDN), and telemetry must be off. The browser test loads the real page and records
 * its requests.
 */
import { describe, expect, it } from 'vitest';
import { DocsBundleChangedError, FORBIDDEN_HOSTS, makeOffline, OFFLINE_EDITS } from '../scripts/docs-offline.js';

/** The shape of a build-docs page: the bundle's CDN strings, then the page's options. */
const page = (options: object, skip?: string): string =>
  `<html><script>${OFFLINE_EDITS.filter((edit) => edit.find !== skip)
    .map((edit) => `var a=\`${edit.find}\`;`)
    .join('')}</script><script>
      const __redoc_options = ${JSON.stringify(options)};
      hydrate(__redoc_definition, __redoc_options, document.getElementById('redoc'));
</script></html>`;

describe('makeOffline (npm run docs)', () => {
  it('replaces the CDN logo and icon references with data: URLs, leaving no CDN host in the page', () => {
    const out = makeOffline(page({ skipBundle: true, disableTelemetry: true }));
    for (const host of FORBIDDEN_HOSTS) expect(out).not.toContain(host);
    expect(out).not.toMatch(/https?:\/\//);
    expect(out).toContain('var a=`data:image/svg+xml,');
    // the badge keeps a readable wordmark
    expect(decodeURIComponent(out)).toContain('>Redocly</text>');
    expect(out).toContain('"disableTelemetry":true');
  });

  it('fails, naming it, when a reference it must replace is not in the page (Redocly changed its bundle)', () => {
    for (const edit of OFFLINE_EDITS) {
      const build = () => makeOffline(page({ disableTelemetry: true }, edit.find));
      expect(build).toThrow(DocsBundleChangedError);
      expect(build).toThrow(`expected the ${edit.name} (${edit.find}) 1 time(s) in the Redoc page, found it 0 time(s)`);
    }
  });

  it('fails when a CDN host is still referred to elsewhere in the page', () => {
    const html = page({ disableTelemetry: true }).replace('<html>', '<html><img src="https://cdn.redocly.com/other.svg">');
    expect(() => makeOffline(html)).toThrow('still refers to cdn.redocly.com');
  });

  it('fails when the page was built with telemetry on, or its options cannot be found', () => {
    expect(() => makeOffline(page({ skipBundle: true, disableTelemetry: false }))).toThrow(/do not disable telemetry: build it with REDOCLY_TELEMETRY=off/);
    expect(() => makeOffline(page({ skipBundle: true }))).toThrow(DocsBundleChangedError);
    expect(() => makeOffline(page({ disableTelemetry: true }).replace('__redoc_options =', 'options ='))).toThrow('(not found)');
  });
});
