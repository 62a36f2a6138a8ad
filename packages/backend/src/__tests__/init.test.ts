import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../index.js';

/** What `initBackend` writes on stderr. */
async function stderrOf(run: () => Promise<unknown>): Promise<string> {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return text;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the backend line initBackend prints', () => {
  it('is one short line naming the backend and the better ones passed over; the reasons stay in the result', async () => {
    vi.stubEnv('OPTIK_BACKEND', '');
    let choice: Awaited<ReturnType<typeof initBackend>> | undefined;
    const text = await stderrOf(async () => {
      choice = await initBackend({ threads: 1 });
    });
    if (choice === undefined) throw new Error('initBackend returned nothing');
    const lines = text.split('\n').filter((line) => line.startsWith('optik: backend'));
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line.startsWith(`optik: backend ${choice.name}`)).toBe(true);
    expect(line.length).toBeLessThanOrEqual(120);
    const chosen = choice.name;
    const passedOver = choice.candidates.slice(
      0,
      choice.candidates.findIndex((c) => c.name === chosen),
    );
    for (const c of passedOver) {
      expect(line).toContain(c.name);
      expect(line).not.toContain(c.reason);
      expect(choice.reason).toContain(c.reason);
    }
    if (passedOver.length > 0) expect(line).toContain('optik doctor says why');
    if (chosen === 'wasm') expect(line).toContain('1 thread');
  });

  it('says "requested" for a forced backend, and nothing with log: false', async () => {
    expect(await stderrOf(() => initBackend({ prefer: 'cpu' }))).toBe('optik: backend cpu (requested)\n');
    expect(await stderrOf(() => initBackend({ prefer: 'cpu', log: false }))).toBe('');
  });
});
