import { readFileSync } from 'node:fs';

/** One 32-bit word in the WAL's checksum byte order. */
type WordReader = (buf: Buffer, offset: number) => number;

/** SQLite's WAL checksum over `buf[start, end)` (8-byte multiples), continuing from `[s0, s1]`. */
function walChecksum(buf: Buffer, start: number, end: number, word: WordReader, s: [number, number]): [number, number] {
  let [s0, s1] = s;
  for (let i = start; i < end; i += 8) {
    s0 = (s0 + word(buf, i) + s1) >>> 0;
    s1 = (s1 + word(buf, i + 4) + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * Applies the committed frames of a WAL file to a copy of the database image, as SQLite's recovery does: frames
 * count while their salts match the header and their running checksum holds; pages of the last commit win.
 */
function applyWal(db: Buffer, wal: Buffer): Buffer {
  if (wal.length < 32) return db;
  const magic = wal.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return db;
  const word: WordReader = magic === 0x377f0683 ? (b, o) => b.readUInt32BE(o) : (b, o) => b.readUInt32LE(o);
  const pageSize = wal.readUInt32BE(8) === 1 ? 65536 : wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let sum = walChecksum(wal, 0, 24, word, [0, 0]);
  if (sum[0] !== wal.readUInt32BE(24) || sum[1] !== wal.readUInt32BE(28)) return db;
  const pending = new Map<number, number>();
  let committed = new Map<number, number>();
  let size = Math.floor(db.length / pageSize);
  for (let frame = 32; frame + 24 + pageSize <= wal.length; frame += 24 + pageSize) {
    if (wal.readUInt32BE(frame + 8) !== salt1 || wal.readUInt32BE(frame + 12) !== salt2) break;
    sum = walChecksum(wal, frame, frame + 8, word, sum);
    sum = walChecksum(wal, frame + 24, frame + 24 + pageSize, word, sum);
    if (sum[0] !== wal.readUInt32BE(frame + 16) || sum[1] !== wal.readUInt32BE(frame + 20)) break;
    pending.set(wal.readUInt32BE(frame), frame + 24);
    const commitSize = wal.readUInt32BE(frame + 4);
    if (commitSize > 0) {
      committed = new Map([...committed, ...pending]);
      pending.clear();
      size = commitSize;
    }
  }
  if (committed.size === 0) return db;
  const out = Buffer.alloc(size * pageSize);
  db.copy(out, 0, 0, Math.min(db.length, out.length));
  for (const [page, offset] of committed) {
    if (page <= size) wal.copy(out, (page - 1) * pageSize, offset, offset + pageSize);
  }
  return out;
}

/**
 * The bytes of a WAL-mode database as a reader would see it (committed WAL frames applied), with the header set
 * to the rollback journal so SQLite can open the image in memory. For reading a store whose disk is full or
 * read-only, where SQLite cannot create its `-shm` file.
 */
export function readDatabaseSnapshot(file: string): Buffer {
  let image: Buffer = readFileSync(file);
  let wal: Buffer | undefined;
  try {
    wal = readFileSync(`${file}-wal`);
  } catch {
    wal = undefined;
  }
  if (wal !== undefined) image = applyWal(image, wal);
  if (image.length >= 20) {
    image[18] = 1;
    image[19] = 1;
  }
  return image;
}
