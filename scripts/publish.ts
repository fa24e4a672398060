/**
 * `npm run release:publish`: what the Release workflow runs on a version tag, after .ci/run passed.
 *
 *  1. checks that the release is consistent: on a tag (GITHUB_REF_TYPE=tag), the tag is `v` + the
 *     version in package.json; CHANGELOG.md has a `## [<version>]` section listing its changes, and
 *     (on a tag, or publishing for real) nothing left under `## [Unreleased]` (scripts/changelog.ts);
 *  2. runs `npm publish --provenance --access public`, authenticated by NODE_AUTH_TOKEN (the
 *     repository's NPM_TOKEN secret) for the registry npm is configured with. The token is never
 *     written anywhere: the temporary npm config holds `${NODE_AUTH_TOKEN}`, which npm expands.
 *
 * `npm run release:publish -- --dry-run` (run by .ci/run) does the checks and `npm publish ... --dry-run`
 * (npm builds and packs the package, and sends nothing), so the release path is tested on every CI run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkChangelog } from './changelog.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const dryRun = process.argv.includes('--dry-run');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

function fail(message: string): never {
  console.error(`release: ${message}`);
  process.exit(1);
}

if (process.env.GITHUB_REF_TYPE === 'tag' && process.env.GITHUB_REF_NAME !== `v${version}`) {
  fail(`the tag ${process.env.GITHUB_REF_NAME} is not v${version}, the version in package.json: tag the commit that sets the version`);
}
// a real release (on the tag, or not a dry run) also needs the Unreleased notes moved under the version
const releasing = process.env.GITHUB_REF_TYPE === 'tag' || !dryRun;
const changelog = checkChangelog(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'), version, releasing);
for (const note of changelog.notes) console.log(`release: note (a release would refuse it): ${note}`);
if (changelog.problems.length > 0) fail(changelog.problems.join('; '));

const args = ['publish', '--provenance', '--access', 'public'];
const notices = ['--loglevel', 'notice']; // npm run -s silences the npm it starts; keep npm's own report
let config: string | undefined;
if (dryRun) {
  args.push('--dry-run');
} else {
  if (!process.env.NODE_AUTH_TOKEN) fail('NODE_AUTH_TOKEN is not set: add an npm automation token as the NPM_TOKEN secret of the repository');
  const registry = new URL(spawnSync(NPM, ['config', 'get', 'registry'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim());
  config = mkdtempSync(join(tmpdir(), 'release-'));
  writeFileSync(join(config, 'npmrc'), `//${registry.host}${registry.pathname}:_authToken=\${NODE_AUTH_TOKEN}\n`);
  args.push('--userconfig', join(config, 'npmrc'));
}
console.log(`release: thrivestack-group ${version}: npm ${args.filter((arg) => !arg.includes('npmrc') && arg !== '--userconfig').join(' ')}`);
const result = spawnSync(NPM, [...args, ...notices], { cwd: ROOT, stdio: 'inherit' });
if (config) rmSync(config, { recursive: true, force: true });
process.exitCode = result.status ?? 1;
