#!/usr/bin/env node
// Browser check: bundles each browser-safe package entry for the browser platform with Vite (Rolldown) and fails
// when anything in its graph is a Node built-in (`node:fs`, `path`, …) or a native addon (sharp, better-sqlite3).
// pack-test.mjs runs it on the installed tarballs (what a user's bundler sees); run it alone on the workspace with
//   node tooling/scripts/browser-check.mjs [--source] [--root DIR] [@optik/zoo …]
// (--source resolves the packages' src/ through the @optik/source condition, so no build is needed).
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The packages whose main entry must run in a browser (apps/playground and apps/try use them). */
export const BROWSER_PACKAGES = [
  '@optik/core',
  '@optik/backend',
  '@optik/zoo',
  '@optik/train',
  '@optik/augment',
  '@optik/metrics',
];

const NATIVE = ['sharp', 'better-sqlite3', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const forbidden = (id) =>
  id.startsWith('node:') ||
  builtins.has(id.split('/')[0]) ||
  builtins.has(id) ||
  NATIVE.some((n) => id === n || id.startsWith(`${n}/`));

/**
 * Bundles `import * as m from '<name>'` for the browser from `root` (a folder whose node_modules hold the packages)
 * and returns one `{ name, ok, problems, bytes }` per package.
 */
export async function checkBrowserEntries({ root, names = BROWSER_PACKAGES, source = false }) {
  // The workspace's own Vite bundles, whatever folder the packages are installed in.
  const { build } = await import('vite');
  const results = [];
  for (const name of names) {
    const problems = [];
    const entryId = '\0optik-browser-entry';
    const guard = {
      name: 'optik-no-node-builtins',
      enforce: 'pre',
      resolveId(id, importer) {
        if (id.endsWith('optik-browser-entry')) return entryId;
        if (forbidden(id)) {
          problems.push(`${importer ?? '(entry)'} imports ${id}`);
          return { id: `\0forbidden:${id}`, external: false };
        }
        return null;
      },
      load(id) {
        if (id === entryId)
          return `import * as m from ${JSON.stringify(name)};\nexport const names = Object.keys(m);\n`;
        if (id.startsWith('\0forbidden:')) return 'export default {};';
        return null;
      },
    };
    let bytes = 0;
    try {
      const out = await build({
        root,
        configFile: false,
        logLevel: 'silent',
        plugins: [guard],
        resolve: { conditions: [...(source ? ['@optik/source'] : []), 'browser', 'module', 'import', 'default'] },
        build: {
          write: false,
          minify: false,
          lib: { entry: 'optik-browser-entry', formats: ['es'], fileName: 'entry' },
          rollupOptions: { external: (id) => id.startsWith('@tensorflow/') },
        },
      });
      for (const o of [out].flat()) for (const chunk of o.output ?? []) bytes += chunk.code?.length ?? 0;
    } catch (error) {
      problems.push(
        `bundling failed: ${error instanceof Error ? error.message.split('\n').slice(0, 4).join(' | ') : String(error)}`,
      );
    }
    results.push({ name, ok: problems.length === 0, problems, bytes });
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const source = args.includes('--source');
  const rootAt = args.indexOf('--root');
  const root = rootAt >= 0 ? resolve(args[rootAt + 1]) : resolve(import.meta.dirname, '../../apps/playground');
  const names = args.filter((a, i) => a.startsWith('@') && i !== rootAt + 1);
  const results = await checkBrowserEntries({ root, source, ...(names.length > 0 ? { names } : {}) });
  for (const r of results) {
    if (r.ok)
      console.log(
        `browser-check: ok ${r.name} bundles for the browser (${Math.round(r.bytes / 1024)} kB, no Node built-ins)`,
      );
    else console.error(`browser-check: FAIL ${r.name}:\n  ${r.problems.join('\n  ')}`);
  }
  if (results.some((r) => !r.ok)) process.exit(1);
}
