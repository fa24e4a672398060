/**
 * What a release needs of CHANGELOG.md (checked by scripts/publish.ts): a `## [<version>]` section
 * that lists at least one change, and, when really releasing (on the tag), an `## [Unreleased]`
 * section with no entries left (its notes moved under the version, as CONTRIBUTING's "Releasing" says).
 * Off a tag (the CI's dry run), notes still under Unreleased are normal work in progress: reported,
 * not refused.
 */

/** The sections of a Keep a Changelog file: heading (`[0.1.0] - 2026-12-06`, `[Unreleased]`) → its lines. */
function sections(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## \[([^\]]+)\]/.exec(line);
    if (heading) found.set(heading[1]!, (current = []));
    else if (/^\[[^\]]+\]: /.test(line)) current = undefined; // the links at the bottom
    else current?.push(line);
  }
  return found;
}

/** Lines that are entries (list items), not sub-headings (`### Added`) or blank lines. */
const entries = (lines: readonly string[]): number => lines.filter((line) => /^\s*[-*] \S/.test(line)).length;

export interface ChangelogCheck {
  /** What stops the release. */
  problems: string[];
  /** What a real release would refuse, said on a dry run. */
  notes: string[];
}

export function checkChangelog(text: string, version: string, releasing: boolean): ChangelogCheck {
  const all = sections(text);
  const problems: string[] = [];
  const notes: string[] = [];
  const own = all.get(version);
  if (own === undefined) problems.push(`CHANGELOG.md has no "## [${version}]" section: move the Unreleased notes under it`);
  else if (entries(own) === 0) problems.push(`CHANGELOG.md's "## [${version}]" section lists no change: move the Unreleased notes under it`);
  const unreleased = entries(all.get('Unreleased') ?? []);
  if (unreleased > 0) {
    const message = `CHANGELOG.md still has ${unreleased} entr${unreleased === 1 ? 'y' : 'ies'} under "## [Unreleased]": move them under "## [${version}]" before tagging v${version}`;
    (releasing ? problems : notes).push(message);
  }
  return { problems, notes };
}
