import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { isOptikError, OptikError } from '@optik/core';

const errno = (cause: unknown): string | undefined =>
  cause !== null && typeof cause === 'object' && typeof (cause as { code?: unknown }).code === 'string'
    ? (cause as { code: string }).code
    : undefined;

/** Free bytes for an unprivileged writer on the file system holding `path`, or undefined when unknown. */
function freeBytes(path: string): number | undefined {
  for (let at = path; ; at = dirname(at)) {
    try {
      const s = statfsSync(at);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Below this, an I/O error while writing is read as a full disk (SQLite reports a full tmpfs as SHMSIZE/IOERR). */
const NEARLY_FULL_BYTES = 64 * 1024;

/** True when `cause` is a write that failed for want of space (ENOSPC, EDQUOT, SQLITE_FULL, or I/O on a full disk). */
export function isDiskFull(cause: unknown, path: string): boolean {
  const code = errno(cause);
  if (code === undefined) return false;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  if (code === 'EIO' || code.startsWith('SQLITE_IOERR')) {
    const free = freeBytes(path);
    return free !== undefined && free < NEARLY_FULL_BYTES;
  }
  return false;
}

/**
 * The coded error for a failed store operation, naming the cause and the fix: `DISK_FULL`, `STORE_READONLY`,
 * `STORE_CORRUPT`, else `STORE_ERROR` with the underlying message. An {@link OptikError} passes through as it is.
 * `what` says what was being done ("logging epoch 3 of run …"); `path` is the file or folder involved.
 */
export function toStoreError(cause: unknown, what: string, path: string): OptikError {
  if (isOptikError(cause)) return cause;
  const code = errno(cause);
  const message = cause instanceof Error ? cause.message : String(cause);
  const reason = code === undefined || message.startsWith(code) ? message : `${code}: ${message}`;
  if (isDiskFull(cause, path)) {
    const free = freeBytes(path);
    return new OptikError(
      'DISK_FULL',
      `No space left on the disk holding ${path} while ${what}${free === undefined ? '' : ` (${Math.round(free / 1024)} KiB free)`}. Cause: ${reason}.`,
      {
        file: path,
        hint: 'Free disk space (or point output.root / --root at a disk with room) and run again; runs and epochs recorded so far are kept, and a run resumes from its last checkpoint with `optik train --resume <run>`.',
      },
      { cause },
    );
  }
  if (
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code?.startsWith('SQLITE_READONLY') === true ||
    (code === 'SQLITE_CANTOPEN' && !writable(dirname(path)))
  ) {
    return new OptikError(
      'STORE_READONLY',
      `The run store cannot be written at ${path} while ${what}. Cause: ${reason}.`,
      {
        file: path,
        hint: 'Make the runs folder and its optik.db (with optik.db-wal and optik.db-shm) writable by this user, or use another folder (output.root, --root). Listing (`optik runs ls`) works on a read-only store.',
      },
      { cause },
    );
  }
  if (code?.startsWith('SQLITE_CORRUPT') === true || code === 'SQLITE_NOTADB') {
    return new OptikError(
      'STORE_CORRUPT',
      `The run store database ${path} is damaged or not an SQLite database (while ${what}). Cause: ${reason}.`,
      {
        file: path,
        hint: 'Restore it from a backup, or move it aside (mv optik.db optik.db.broken) to start a new store; each run folder keeps its config.yaml, results.csv, metrics.json and weights.',
      },
      { cause },
    );
  }
  return new OptikError(
    'STORE_ERROR',
    `The run store failed while ${what} (${path}). Cause: ${reason}.`,
    {
      file: path,
      hint: 'Check the runs folder (space, permissions, another process); run again with --debug for the stack.',
    },
    { cause },
  );
}

/** Runs a store operation, turning a failure into {@link toStoreError}'s coded error. */
export function storeOp<T>(what: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw toStoreError(cause, what, path);
  }
}
