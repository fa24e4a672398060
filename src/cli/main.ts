/** The `thrivestack` command: dispatch to a subcommand; usage errors exit 2 with one line. */
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { GROUP_COMMAND, runGroup } from './group.js';
import { IMPORT_COMMAND, runImport } from './import.js';
import { survivingClosedOutput, type CliIO } from './io.js';

const COMMANDS = {
  group: { spec: GROUP_COMMAND, run: runGroup },
  import: { spec: IMPORT_COMMAND, run: runImport },
} as const;

export const MAIN_HELP = `Usage: thrivestack <command> [options]

ThriveStack's Group API from the shell.

Commands:
  group     send one group call (a user joins an account) and print its eventId
  import    send every row of a CSV or NDJSON file (backfill), resumable with --checkpoint

Options:
  -h, --help     show this help (\`thrivestack <command> --help\`: a command's options)
  -v, --version  print the version

Environment:
  THRIVESTACK_API_KEY      the API key (or --api-key-file FILE); never printed
  HTTPS_PROXY, HTTP_PROXY  send through a proxy: HTTPS_PROXY for https:// URLs (else HTTP_PROXY),
                           HTTP_PROXY for http:// ones; lowercase names too
  NO_PROXY                 hosts reached directly, e.g. localhost,127.0.0.1,.internal.example.com
  THRIVESTACK_LOG          the client's own lines on stderr: off, error, warn (default), info (each
                           retry), debug (each attempt: URL, status, ms, the body cut); the key redacted
`;

function version(): string {
  try {
    // dist/cli/index.js and src/cli/main.ts both sit two levels below the package root
    let dir = new URL('.', import.meta.url);
    for (let i = 0; i < 4; i++) {
      try {
        const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'thrivestack-group') return pkg.version ?? 'unknown';
      } catch {
        // not here: look one level up
      }
      dir = new URL('..', dir);
    }
  } catch {
    // no import.meta.url in this build
  }
  return 'unknown';
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  survivingClosedOutput(io);
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(MAIN_HELP);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] !== undefined ? COMMANDS[rest[0] as keyof typeof COMMANDS] : undefined;
    if (topic) return topic.run(['--help'], io);
    io.stdout.write(MAIN_HELP);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name as keyof typeof COMMANDS] : undefined;
  if (!command) {
    io.stderr.write(`thrivestack: unknown command ${JSON.stringify(name)} (commands: ${Object.keys(COMMANDS).join(', ')}; see thrivestack --help)\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`thrivestack ${name}: ${error.message.replace(/\s*\n\s*/g, ' ')} (see thrivestack ${name} --help)\n`);
      return 2;
    }
    io.stderr.write(`thrivestack ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
