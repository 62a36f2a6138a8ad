import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

async function optik(...argv: string[]) {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, stderr };
}

describe('optik ui (usage; the server itself is tested end to end in apps/dashboard)', () => {
  it('refuses a port that is not a whole number from 0 to 65535, with exit code 2', async () => {
    for (const port of ['abc', '70000', '-1', '1.5', '']) {
      const run = await optik('ui', `--port=${port}`);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--port must be a whole number from 0 to 65535; got "${port}"`);
    }
  });

  it('refuses unknown flags and positional arguments with its usage', async () => {
    const flag = await optik('ui', '--open');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('usage: optik ui');
    const positional = await optik('ui', 'runs');
    expect(positional.code).toBe(2);
  });
});
