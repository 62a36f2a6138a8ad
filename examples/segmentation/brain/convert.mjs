#!/usr/bin/env node
// Converts Debian's `mricron-data` brain templates into a semantic-segmentation mask folder: axial slices of the
// T1 template `ch2` as greyscale PNGs, and the AAL atlas (116 regions) merged into 6 lobes as class-id PNGs.
//
//   apt-get install -y mricron-data        # or: apt-get download mricron-data && dpkg-deb -x mricron-data_*.deb root
//   node examples/segmentation/brain/convert.mjs [templates dir] [out dir]
//   pnpm optik train examples/segmentation/brain/train.yaml
//
// Defaults: /usr/share/mricron/templates → data/brain-slices. Only node: built-ins (zlib for .nii.gz and PNG).
// Licence: MRIcron is BSD-3-Clause, but the AAL atlas (Tzourio-Mazoyer et al., 2002) is distributed under academic
// terms: use the slices as a local demo, and never commit or publish what this script writes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, gunzipSync } from 'node:zlib';

const [templates = '/usr/share/mricron/templates', out = 'data/brain-slices'] = process.argv.slice(2);

/**
 * A NIfTI-1 volume (`.nii` or `.nii.gz`, single file, magic `n+1`): the header fields this script needs and the
 * voxels as numbers, x fastest. Supports the integer and float datatypes of the MRIcron templates.
 */
function readNifti(file) {
  let bytes = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  let view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  if (view.getInt32(0, true) !== 348) {
    little = false;
    if (view.getInt32(0, false) !== 348) throw new Error(`${file}: not a NIfTI-1 file (sizeof_hdr is not 348)`);
  }
  const magic = String.fromCharCode(...bytes.subarray(344, 347));
  if (magic !== 'n+1') throw new Error(`${file}: not a single-file NIfTI-1 (magic "${magic}", expected "n+1")`);
  const dims = Array.from({ length: 8 }, (_, i) => view.getInt16(40 + 2 * i, little));
  const [rank, nx, ny, nz] = dims;
  if (rank < 3 || (rank > 3 && dims.slice(4, rank + 1).some((d) => d !== 1))) {
    throw new Error(`${file}: expected a 3-D volume, got dim ${dims.join(',')}`);
  }
  const datatype = view.getInt16(70, little);
  const offset = Math.round(view.getFloat32(108, little));
  const slope = view.getFloat32(112, little) || 1;
  const intercept = view.getFloat32(116, little);
  const readers = {
    2: [1, (o) => view.getUint8(o)],
    4: [2, (o) => view.getInt16(o, little)],
    8: [4, (o) => view.getInt32(o, little)],
    16: [4, (o) => view.getFloat32(o, little)],
    256: [1, (o) => view.getInt8(o)],
    512: [2, (o) => view.getUint16(o, little)],
  };
  const reader = readers[datatype];
  if (reader === undefined) throw new Error(`${file}: NIfTI datatype ${datatype} is not supported`);
  const [size, read] = reader;
  const count = nx * ny * nz;
  if (offset + count * size > bytes.length) throw new Error(`${file}: truncated (${bytes.length} bytes)`);
  const voxels = new Float32Array(count);
  for (let i = 0; i < count; i++) voxels[i] = read(offset + i * size) * slope + intercept;
  view = undefined;
  return { nx, ny, nz, voxels };
}

/** A greyscale 8-bit PNG (filter 0 on every row, one IDAT). */
function png(width, height, pixels) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// AAL's third column codes the region: 2xxx frontal, 3xxx insula, 4xxx limbic, 5xxx occipital, 6xxx parietal,
// 7xxx deep grey matter, 8xxx temporal, 9xxx cerebellum and vermis.
const CLASSES = ['background', 'frontal', 'temporal', 'parietal', 'occipital', 'deep-limbic-insula', 'cerebellum'];
const LOBE = { 2: 1, 8: 2, 6: 3, 5: 4, 3: 5, 4: 5, 7: 5, 9: 6 };

const labels = new Map();
for (const line of readFileSync(join(templates, 'aal.nii.txt'), 'utf8').split('\n')) {
  const [index, , code] = line.trim().split(/\s+/);
  if (index === undefined || code === undefined) continue;
  const lobe = LOBE[code[0]];
  if (lobe === undefined) throw new Error(`aal.nii.txt: region ${index} has an unknown code ${code}`);
  labels.set(Number(index), lobe);
}

const t1 = readNifti(join(templates, 'ch2.nii.gz'));
const atlas = readNifti(join(templates, 'aal.nii.gz'));
if (t1.nx !== atlas.nx || t1.ny !== atlas.ny || t1.nz !== atlas.nz) {
  throw new Error(
    `ch2 is ${t1.nx}×${t1.ny}×${t1.nz} but aal ${atlas.nx}×${atlas.ny}×${atlas.nz}; both must share one grid`,
  );
}
let max = 0;
for (const v of t1.voxels) if (v > max) max = v;

mkdirSync(join(out, 'images'), { recursive: true });
mkdirSync(join(out, 'masks'), { recursive: true });
const { nx, ny, nz } = t1;
let written = 0;
// Axial slices, anterior up (the volume's y axis grows towards anterior, so rows are written from the top y).
for (let z = 0; z < nz; z++) {
  const image = new Uint8Array(nx * ny);
  const mask = new Uint8Array(nx * ny);
  let labelled = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const voxel = z * nx * ny + y * nx + x;
      const pixel = (ny - 1 - y) * nx + x;
      image[pixel] = Math.round((255 * Math.max(0, t1.voxels[voxel])) / max);
      const region = Math.round(atlas.voxels[voxel]);
      const lobe = region === 0 ? 0 : labels.get(region);
      if (lobe === undefined)
        throw new Error(`aal.nii.gz: voxel (${x}, ${y}, ${z}) holds region ${region}, not in aal.nii.txt`);
      mask[pixel] = lobe;
      if (lobe !== 0) labelled++;
    }
  }
  // Slices with little labelled brain (the top and bottom of the head) teach nothing.
  if (labelled < 0.05 * nx * ny) continue;
  const name = `z${String(z).padStart(3, '0')}.png`;
  writeFileSync(join(out, 'images', name), png(nx, ny, image));
  writeFileSync(join(out, 'masks', name), png(nx, ny, mask));
  written++;
}
writeFileSync(join(out, 'classes.txt'), `${CLASSES.join('\n')}\n`);
writeFileSync(
  join(out, 'README.txt'),
  'Derived from Debian mricron-data (ch2 template, AAL atlas). The AAL atlas has academic-use terms: do not commit or publish these files.\n',
);
console.log(`${written} axial slices of ${nx}×${ny} with ${CLASSES.length} classes → ${out}`);
