#!/usr/bin/env node
// Where the running Node's own C headers are, when they match its version exactly — so that node-gyp (native
// addons such as better-sqlite3 whose prebuilt binary cannot be downloaded) builds against them instead of
// downloading headers from the internet. Prints the directory for `npm_config_nodedir`, or nothing.
//   node tooling/scripts/node-headers.mjs        # e.g. /usr
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The prefix whose include/node/node_version.h is this Node's version, or undefined. */
export function localNodeHeaders() {
  const candidates = [dirname(dirname(process.execPath)), '/usr', '/usr/local'];
  for (const prefix of candidates) {
    const header = join(prefix, 'include', 'node', 'node_version.h');
    if (!existsSync(header)) continue;
    const text = readFileSync(header, 'utf8');
    const part = (name) => text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
    const version = `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
    if (`v${version}` === process.version) return prefix;
  }
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = localNodeHeaders();
  if (dir) process.stdout.write(`${dir}\n`);
}
