// Writes classes of a built-in dataset as a class-per-folder tree that `optik train` reads with `data.directory`:
//   node --conditions=@optik/source --import tsx packages/data/scripts/class-folders.ts \
//     fashion-mnist --classes "Sneaker,Ankle boot" --out examples/binary/data [--limit 3000]
// → <out>/{train,val,test}/<class>/<index>.png (lossless PNG, 28×28 grey), the real images of the built-in set.
import { parseArgs } from 'node:util';
import { loadBuiltinDataset, writeClassFolders } from '@optik/data';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    classes: { type: 'string' },
    out: { type: 'string' },
    limit: { type: 'string' },
  },
});
const [name] = positionals;
if (name === undefined || values.classes === undefined || values.out === undefined) {
  process.stderr.write(
    'usage: class-folders.ts <fashion-mnist|mnist> --classes "A,B" --out DIR [--limit N per class and split]\n',
  );
  process.exit(2);
}
const { train, validation, test } = await loadBuiltinDataset(name);
const classes = values.classes.split(',').map((c) => c.trim());
const counts = await writeClassFolders({ train, val: validation, test }, values.out, {
  classes,
  ...(values.limit === undefined ? {} : { limit: Number(values.limit) }),
});
for (const [split, perClass] of Object.entries(counts)) {
  process.stdout.write(
    `${split}: ${Object.entries(perClass)
      .map(([c, n]) => `${n} ${c}`)
      .join(', ')}\n`,
  );
}
