// Types of chromium.mjs (a plain script shared by the apps' end-to-end tests and the dashboard benchmark).
import type { LaunchOptions } from 'playwright-core';

/** The Chromium to drive: $OPTIK_CHROMIUM, else Debian's /usr/bin/chromium (or a Chrome), else undefined. */
export function findChromium(): string | undefined;
/** The browser executable, or undefined (after printing why) when the e2e tests should skip; throws under CI. */
export function chromiumPath(): string | undefined;
/** Launch options for headless Chromium as root in a container. */
export function chromiumLaunchOptions(executablePath: string | undefined): LaunchOptions;
