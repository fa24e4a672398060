/**
 * The Chromium that `npm install` brings: @sparticuz/chromium ships a brotli-packed headless Chromium
 * for Linux x64 inside the npm package (no download at install or run time). Its `executablePath()`
 * unpacks it into the OS temp directory; here it unpacks, in a child process, into a staging directory
 * that is then renamed into place, so that test files (or whole test runs) starting at once never see a
 * half-written binary, and the ~190 MB binary is unpacked once per package version, not once per run.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const PACKAGE = '@sparticuz/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The one platform the package's binary is built for. */
export function npmChromiumSupports(platform: string, arch: string): boolean {
  return platform === 'linux' && arch === 'x64';
}

/** The installed package's version (e.g. "143.0.4"); throws if it is not installed. */
export function npmChromiumVersion(): string {
  // the package's exports map hides package.json: find it above its entry point (build/cjs/index.cjs)
  const manifest = join(dirname(require.resolve(PACKAGE)), '..', '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/**
 * The package's recommended Chromium flags, minus the three that would switch off the browser's
 * security checks (CORS, mixed content, site isolation): the browser tests rely on those checks.
 */
export async function npmChromiumArgs(): Promise<string[]> {
  const { default: Chromium } = await import(PACKAGE);
  const weakening = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials']);
  return Chromium.args.filter((arg: string) => !weakening.has(arg));
}

let unpacked: Promise<string> | undefined;

/** The path of the unpacked npm Chromium, unpacking it on first use (about 2-5 s). */
export function npmChromiumExecutable(): Promise<string> {
  unpacked ??= unpack().catch((error: unknown) => {
    unpacked = undefined;
    throw error;
  });
  return unpacked;
}

async function unpack(): Promise<string> {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const home = join(tmpdir(), `thrivestack-chromium-${npmChromiumVersion()}-${uid}`);
  const binary = join(home, 'chromium');
  if (existsSync(binary)) return binary;

  const staging = mkdtempSync(`${home}.partial-`);
  try {
    // The package unpacks into os.tmpdir(): point that at the staging directory, in a child process so
    // that this process's environment is left alone.
    const script = `import(${JSON.stringify(PACKAGE)}).then((m) => m.default.executablePath()).then((p) => process.stdout.write(p))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: staging, TMP: staging, TEMP: staging },
      timeout: 120_000,
    });
    if (stdout !== join(staging, 'chromium')) throw new Error(`${PACKAGE} unpacked to ${stdout}, not into ${staging}`);
    try {
      renameSync(staging, home);
    } catch (error) {
      // another process got there first: its copy is complete (it was renamed into place whole)
      if (!existsSync(binary)) throw error;
    }
    return binary;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
