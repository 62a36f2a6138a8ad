import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The JSDoc of the packages is their manual: an @example that names a function no package exports, or a JSDoc
// block stacked on another (which no editor shows), is a bug. This reads every source file of packages/*/src.

const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const packagesDir = join(repo, 'packages');

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== '__tests__') yield* sourceFiles(path);
    } else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) yield path;
  }
}

const files = readdirSync(packagesDir).flatMap((name) => {
  const src = join(packagesDir, name, 'src');
  try {
    return statSync(src).isDirectory() ? [...sourceFiles(src)] : [];
  } catch {
    return [];
  }
});

const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

/** Names the public entries export (`export { a, b as c }`, `export type { T }`, `export function f`). */
function publicNames(): Set<string> {
  const names = new Set<string>();
  for (const file of files.filter((f) => f.endsWith(join('src', 'index.ts')))) {
    const text = withoutComments(readFileSync(file, 'utf8'));
    for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
      for (const part of (m[1] as string).split(',')) {
        const name = part
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)
          .at(-1);
        if (name) names.add(name);
      }
    }
    for (const m of text.matchAll(
      /export\s+(?:declare\s+)?(?:async\s+)?(?:function|const|class|type|interface)\s+([\w$]+)/g,
    )) {
      names.add(m[1] as string);
    }
  }
  return names;
}

/** Names a file declares (exported or not): what an example on an internal declaration may use. */
function declaredIn(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/(?:function|class|const|let|type|interface)\s+([\w$]+)/g)].map((m) => m[1] as string),
  );
}

/** The JSDoc blocks of a file: their text (without the leading ` * `) and the line each starts on. */
function jsdocBlocks(text: string): { line: number; lines: string[]; end: number }[] {
  const blocks: { line: number; lines: string[]; end: number }[] = [];
  for (const m of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const start = m.index ?? 0;
    blocks.push({
      line: text.slice(0, start).split('\n').length,
      lines: (m[0] as string).split('\n').map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').replace(/\s*\*\/$/, '')),
      end: start + (m[0] as string).length,
    });
  }
  return blocks;
}

/** The ```ts code of each @example in a block. */
function examples(lines: readonly string[]): string[] {
  const out: string[] = [];
  let inExample = false;
  let code: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith('@example')) inExample = true;
    else if (line.startsWith('@') && code === undefined) inExample = false;
    if (!inExample) continue;
    if (code === undefined && /^```(ts|typescript)\s*$/.test(line.trim())) code = [];
    else if (code !== undefined && line.trim() === '```') {
      out.push(code.join('\n'));
      code = undefined;
    } else if (code !== undefined) code.push(line);
  }
  return out;
}

const BUILTINS = new Set(
  (
    'Math JSON Object Array Promise console Number String Date Buffer Set Map Error Symbol Boolean RegExp Float32Array ' +
    'Float64Array Uint8Array Int32Array Uint8ClampedArray parseInt parseFloat isNaN structuredClone setTimeout fetch ' +
    'require import if for while switch catch return typeof await async function super new tf ' +
    // node:fs and node:path, which examples use to write their PNGs and reports
    'writeFile readFile writeFileSync readFileSync mkdirSync existsSync join resolve dirname'
  ).split(' '),
);

/** Names the example itself binds: declarations, destructuring, arrow and function parameters, imports. */
function boundIn(code: string): Set<string> {
  const bound = new Set<string>();
  for (const m of code.matchAll(/(?:const|let|var|function|class|type|interface)\s+([\w$]+)/g))
    bound.add(m[1] as string);
  for (const m of code.matchAll(/(?:const|let|var)\s+[{[]([^}\]=]*)[}\]]/g)) {
    for (const part of (m[1] as string).split(',')) {
      const name = part
        .split(':')
        .at(-1)
        ?.trim()
        .replace(/^\.\.\./, '');
      if (name) bound.add(name);
    }
  }
  for (const m of code.matchAll(/\(([^()]*)\)\s*(?::\s*[^=]+)?=>/g)) {
    for (const part of (m[1] as string).split(',')) bound.add(part.split(':')[0]?.trim() ?? '');
  }
  for (const m of code.matchAll(/([\w$]+)\s*=>/g)) bound.add(m[1] as string);
  for (const m of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (m[1] as string).split(','))
      bound.add(
        part
          .trim()
          .split(/\s+as\s+/)
          .at(-1) ?? '',
      );
  }
  return bound;
}

/** Functions called, classes constructed and types annotated in an example (not methods: `x.f()` is skipped). */
function referenced(code: string): Set<string> {
  const names = new Set<string>();
  const text = code.replace(/\/\/.*$/gm, '').replace(/'[^'\n]*'|"[^"\n]*"|`[^`\n]*`/g, "''");
  for (const m of text.matchAll(/(?<![.\w$])([A-Za-z_$][\w$]*)\s*\(/g)) names.add(m[1] as string);
  for (const m of text.matchAll(/\bnew\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1] as string);
  for (const m of text.matchAll(/(?:const|let|var)\s+[\w$]+\s*:\s*([A-Z][\w$]*)/g)) names.add(m[1] as string);
  return names;
}

describe('JSDoc of the packages', () => {
  it('has no JSDoc block stacked directly on another (editors show neither)', () => {
    const stacked: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const block of jsdocBlocks(text)) {
        if (/^\n?\/\*\*/.test(text.slice(block.end, block.end + 5))) {
          stacked.push(`${relative(repo, file)}:${block.line}`);
        }
      }
    }
    expect(stacked, 'merge each into the block under it, or give it its own export').toEqual([]);
  });

  it('@example blocks only call what the packages export (or what the example or its file declares)', () => {
    const exported = publicNames();
    expect(exported.size).toBeGreaterThan(200);
    const unknown: string[] = [];
    let count = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const entry = file.endsWith(join('src', 'index.ts'));
      const local = entry ? new Set<string>() : declaredIn(text);
      for (const block of jsdocBlocks(text)) {
        for (const code of examples(block.lines)) {
          count++;
          const bound = boundIn(code);
          const missing = [...referenced(code)].filter(
            (name) => !bound.has(name) && !BUILTINS.has(name) && !exported.has(name) && !local.has(name),
          );
          if (missing.length > 0) unknown.push(`${relative(repo, file)}:${block.line}: ${missing.join(', ')}`);
        }
      }
    }
    expect(count).toBeGreaterThan(150);
    expect(unknown, 'an example names something no package exports: update it to the real API').toEqual([]);
  });
});
