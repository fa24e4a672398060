/**
 * The release's CHANGELOG check (scripts/changelog.ts, run by `npm run release:publish`): a version is
 * published only with a `## [<version>]` section that lists its changes and, on the tag, with nothing
 * left under `## [Unreleased]`. The check once looked only for the heading, so an empty section (the
 * notes left under Unreleased) passed. And the repository's own CHANGELOG.md passes the dry run's check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkChangelog } from '../scripts/changelog.js';
import { ROOT } from './support/cli.js';

const changelog = (unreleased: string, released: string): string =>
  `# Changelog\n\nIntro.\n\n## [Unreleased]\n${unreleased}\n## [1.2.0] - 2027-01-01\n${released}\n## [1.1.0] - 2026-12-01\n\n### Added\n- older\n\n` +
  '[Unreleased]: https://example.com/compare/v1.2.0...HEAD\n[1.2.0]: https://example.com/v1.2.0\n';

describe('CHANGELOG.md before a release', () => {
  it('the notes moved under the version: accepted', () => {
    expect(checkChangelog(changelog('', '\n### Fixed\n- a fix\n'), '1.2.0', true)).toEqual({ problems: [], notes: [] });
  });

  it('the heading alone, its notes left under Unreleased: refused on the tag, a note on the dry run', () => {
    const text = changelog('\n### Fixed\n- a fix\n- another\n', '\n');
    const tag = checkChangelog(text, '1.2.0', true);
    expect(tag.problems).toEqual([
      'CHANGELOG.md\'s "## [1.2.0]" section lists no change: move the Unreleased notes under it',
      'CHANGELOG.md still has 2 entries under "## [Unreleased]": move them under "## [1.2.0]" before tagging v1.2.0',
    ]);
    const dry = checkChangelog(text, '1.2.0', false);
    expect(dry.problems).toHaveLength(1); // the empty section: refused on every run
    expect(dry.notes).toHaveLength(1);
  });

  it('no section for the version, or only its sub-headings: refused', () => {
    expect(checkChangelog(changelog('', '\n### Fixed\n- a fix\n'), '1.3.0', false).problems).toEqual([
      'CHANGELOG.md has no "## [1.3.0]" section: move the Unreleased notes under it',
    ]);
    expect(checkChangelog(changelog('', '\n### Added\n\n### Fixed\n'), '1.2.0', false).problems).toHaveLength(1);
  });

  it("the repository's CHANGELOG.md passes the dry run's check for package.json's version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(checkChangelog(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'), version, false).problems).toEqual([]);
  });
});
