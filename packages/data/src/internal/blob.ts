import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Cache files of decoded or generated pixels: a little-endian uint32 header length, a UTF-8 JSON header, then the
 * raw bytes. Reading never throws: a missing or damaged file is a cache miss.
 */
export async function readBlobFile(file: string): Promise<{ header: unknown; bytes: Uint8Array } | undefined> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch {
    return undefined;
  }
  try {
    const headerLength = raw.readUInt32LE(0);
    const header: unknown = JSON.parse(raw.subarray(4, 4 + headerLength).toString('utf8'));
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset + 4 + headerLength, raw.length - 4 - headerLength);
    return { header, bytes };
  } catch {
    return undefined;
  }
}

/** Writes a cache file atomically (temp file + rename); a cache that cannot be written only costs a redo. */
export function writeBlobFile(file: string, header: unknown, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length, 0);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat([length, json, bytes]));
    renameSync(tmp, file);
  } catch {
    // Read-only or full disk: the next run regenerates.
  }
}
