import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMain } from './run-main.js';

const hasInputs = [
  '/usr/share/openclipart/svg/animals/fish',
  '/usr/share/doc/opencv-doc/examples/data/aero1.jpg',
].every((path) => existsSync(path));
if (!hasInputs) console.warn('optik data synth tests skipped: apt-get install openclipart-svg opencv-doc.');
const dir = mkdtempSync(join(tmpdir(), 'optik-cli-synth-'));
// Cut-out renders go to a cache of this test's own, not the user's.
process.env.OPTIK_CACHE_DIR = join(dir, 'cache');

const optik = runMain;

afterEach(() => {
  process.exitCode = undefined;
});

describe('optik data synth', () => {
  const small = ['--count', '3,1,1', '--classes', 'fish,boat', '--size', '48,64', '--objects', '1,3'];

  it.skipIf(!hasInputs)(
    'writes a COCO + mask + YOLO set and prints its paths and counts as the last JSON line',
    async () => {
      const out = join(dir, 'synth');
      const run = await optik('data', 'synth', '--out', out, ...small, '--format', 'yolo', '--seed', '5', '--json');
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
      expect(result).toMatchObject({ out, classNames: ['fish', 'boat'], dataYaml: join(out, 'data.yaml') });
      expect(result.counts.train.images).toBe(3);
      expect(run.stderr).toContain('synth: train 3/3 images');
      const coco = JSON.parse(readFileSync(result.splits.val.annotations, 'utf8'));
      expect(coco.images).toHaveLength(1);
      expect(coco.annotations.length).toBe(result.counts.val.objects);
      expect(existsSync(join(out, 'masks', 'train', '000003.png'))).toBe(true);
      expect(existsSync(join(out, 'labels', 'test', '000001.txt'))).toBe(true);
      expect(JSON.parse(readFileSync(join(out, 'synth.json'), 'utf8')).options.seed).toBe(5);
      const human = await optik('data', 'synth', '--out', out, ...small);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/wrote 5 images with \d+ objects of 2 classes \(fish, boat\)/);
      expect(existsSync(join(out, 'data.yaml'))).toBe(false);
    },
    120_000,
  );

  it('refuses bad flags with coded errors naming the flag, before writing anything', async () => {
    const bad = join(dir, 'bad');
    const count = await optik('data', 'synth', '--out', bad, '--count', '3,1');
    expect(count.code).toBe(1);
    expect(count.stderr).toContain('ARGUMENT_INVALID: --count needs 3 comma-separated numbers');
    const reversed = await optik('data', 'synth', '--out', bad, '--objects', '5,2');
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toMatch(/CONFIG_INVALID.*--objects \(objectsPerImage\)/);
    const emoji = await optik('data', 'synth', '--out', bad, '--source', 'emoji', '--source-dir', join(dir, 'none'));
    expect(emoji.code).toBe(1);
    expect(emoji.stderr).toContain('npm install emoji-datasource-google');
    expect(existsSync(bad)).toBe(false);
    expect((await optik('data', 'synth')).code).toBe(2);
    expect((await optik('data', 'synth', '--out', bad, '--colour', 'red')).code).toBe(2);
  });
});
