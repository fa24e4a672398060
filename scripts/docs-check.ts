/**
 * Part of `npm run docs:check` (after `npm run docs`; run by .ci/run and by the Docs workflow before it
 * publishes docs/): the page that would be published exists, is not empty, and refers to no CDN.
 */
import { existsSync, readFileSync } from 'node:fs';

const PAGE = 'docs/index.html';
const problems: string[] = [];
if (!existsSync(PAGE) || readFileSync(PAGE).length === 0) problems.push(`${PAGE} is missing or empty`);
else if (/cdn\.redoc/.test(readFileSync(PAGE, 'utf8'))) problems.push(`${PAGE} refers to a CDN (cdn.redoc.ly): scripts/docs-offline.ts no longer removes it`);
for (const problem of problems) console.error(problem);
if (problems.length === 0) console.log(`${PAGE}: built, self-contained, no CDN reference`);
process.exitCode = problems.length === 0 ? 0 : 1;
