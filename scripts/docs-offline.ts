/**
 * Makes the page `redocly build-docs --inlineBundle` writes send no request when opened: the bundle
 * already holds every script and style, but Redoc's sidebar badge ("API docs by" + logo) loads the
 * Redocly logo from cdn.redoc.ly, its icon component points at cdn.redocly.com, and its telemetry
 * (otel.cloud.redocly.com) is on unless the build was told otherwise.
 *
 * - the two logos become inline SVG wordmarks ("Redocly", "R") as data: URLs, so the badge keeps its
 *   place and its link, and reads as it does with the CDN logo;
 * - the icon bases become an empty data: URL (no icon of that kind is used by this page; one that
 *   were would show nothing instead of calling a CDN);
 * - the page's options must say `"disableTelemetry":true` (docs.ts builds with REDOCLY_TELEMETRY=off).
 *
 * Every edit must find what it replaces: when a Redocly upgrade changes the bundle, this throws and
 * `npm run docs` fails, rather than publishing a page that calls a third party.
 */

const wordmark = (text: string, width: number): string =>
  'data:image/svg+xml,' +
  encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="16" viewBox="0 0 ${width} 16">` +
      `<text x="0" y="13" textLength="${width - 1}" lengthAdjust="spacingAndGlyphs" font-family="Inter, Arial, sans-serif" font-size="14" font-weight="600" fill="#f43f5e">${text}</text></svg>`,
  );

/** What is replaced, how often it must occur, and by what. */
export const OFFLINE_EDITS: { name: string; find: string; count: number; replace: string }[] = [
  { name: 'badge logo', find: 'https://cdn.redoc.ly/redoc/logo-mini-full.svg', count: 1, replace: wordmark('Redocly', 60) },
  { name: 'collapsed badge logo', find: 'https://cdn.redoc.ly/redoc/logo-mini.svg', count: 1, replace: wordmark('R', 11) },
  { name: 'Font Awesome icon base', find: 'https://cdn.redocly.com/icons/fa/7.0.0', count: 1, replace: 'data:,' },
  { name: 'code icon base', find: 'https://cdn.redocly.com/icons/code/5.24.0', count: 1, replace: 'data:,' },
];

/** Third-party hosts that must not appear in the finished page at all. */
export const FORBIDDEN_HOSTS = ['cdn.redoc.ly', 'cdn.redocly.com'];

export class DocsBundleChangedError extends Error {
  override name = 'DocsBundleChangedError';
}

/** The page with every edit applied; throws DocsBundleChangedError when the page is not as expected. */
export function makeOffline(html: string): string {
  let out = html;
  for (const edit of OFFLINE_EDITS) {
    const found = out.split(edit.find).length - 1;
    if (found !== edit.count) {
      throw new DocsBundleChangedError(
        `docs: expected the ${edit.name} (${edit.find}) ${edit.count} time(s) in the Redoc page, found it ${found} time(s): Redocly's bundle changed, update scripts/docs-offline.ts`,
      );
    }
    out = out.split(edit.find).join(edit.replace);
  }
  for (const host of FORBIDDEN_HOSTS) {
    if (out.includes(host)) {
      throw new DocsBundleChangedError(`docs: the Redoc page still refers to ${host}: update scripts/docs-offline.ts`);
    }
  }
  const options = /const __redoc_options = (\{.*\});/.exec(out)?.[1];
  if (!options || (JSON.parse(options) as { disableTelemetry?: unknown }).disableTelemetry !== true) {
    throw new DocsBundleChangedError(
      `docs: the Redoc page's options (${options ?? 'not found'}) do not disable telemetry: build it with REDOCLY_TELEMETRY=off (npm run docs does)`,
    );
  }
  return out;
}
