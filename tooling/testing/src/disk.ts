// A small tmpfs for tests of a full or read-only disk (hostile-environment tests of the store and checkpoints).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small tmpfs of its own, for tests of a full or read-only disk. */
export interface SmallDisk {
  readonly ok: true;
  /** The mount point. */
  readonly dir: string;
  /** Fills the disk to the last byte with `<dir>/filler` (whatever else is written then fails with ENOSPC). */
  fill(): void;
  /** Removes the filler. */
  unfill(): void;
  /** Free bytes now. */
  free(): number;
  /** Remounts the disk read-only (`writable: false`) or back read-write. */
  remount(writable: boolean): void;
  /** Unmounts and removes the mount point. */
  release(): void;
}

/** Why a small disk could not be had (not root, or mounting is not permitted here). */
export interface NoSmallDisk {
  readonly ok: false;
  readonly reason: string;
}

/**
 * Mounts a tmpfs of `sizeKiB` KiB on a fresh folder, when the tests run as root and the system allows it; else
 * says why not, for the test to print and skip.
 */
export function mountSmallDisk(sizeKiB: number): SmallDisk | NoSmallDisk {
  if (process.platform !== 'linux')
    return { ok: false, reason: `tmpfs mounts need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not running as root, so a small tmpfs cannot be mounted' };
  const dir = mkdtempSync(join(tmpdir(), 'optik-small-disk-'));
  const mount = (options: string) =>
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    mount(`size=${sizeKiB}k`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: `mount -t tmpfs failed: ${stderr || (error as Error).message}` };
  }
  const filler = join(dir, 'filler');
  return {
    ok: true,
    dir,
    fill() {
      // One write larger than the disk: it fills every free block, then fails with ENOSPC.
      const size = statfsSync(dir).blocks * statfsSync(dir).bsize + 1024 * 1024;
      try {
        writeFileSync(filler, Buffer.alloc(size), { flag: 'a' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    },
    unfill() {
      rmSync(filler, { force: true });
    },
    free() {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    remount(writable) {
      execFileSync('mount', ['-o', `remount,${writable ? 'rw' : 'ro'}`, dir], { stdio: 'ignore' });
    },
    release() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
