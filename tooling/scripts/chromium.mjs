// The Chromium the apps' end-to-end tests drive: Debian's `chromium` (setup.sh installs it where it can), never a
// downloaded browser. OPTIK_CHROMIUM points elsewhere. Without one, the tests skip with a message, except under CI
// (CI set), where a missing browser fails the run.
import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The Chromium to drive: $OPTIK_CHROMIUM, else Debian's /usr/bin/chromium (or a Chrome), else undefined. */
export function findChromium() {
  const fromEnv = process.env.OPTIK_CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((file) => existsSync(file));
}

/** The browser executable, or undefined (after printing why) when the e2e tests should skip. */
export function chromiumPath() {
  const found = findChromium();
  if (found !== undefined) return found;
  const why = 'no Chromium found (install Debian `chromium`: apt-get install -y chromium, or set OPTIK_CHROMIUM)';
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    throw new Error(`e2e: ${why}; CI needs it.`);
  }
  console.warn(`e2e: SKIPPED: ${why}.`);
  return undefined;
}

/** Launch options for headless Chromium as root in a container; WebGL falls back to SwiftShader without a GPU. */
export function chromiumLaunchOptions(executablePath) {
  return {
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-swiftshader',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  };
}
