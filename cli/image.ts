// `tskube image import FILE… | ls`: images for a node without a registry, imported into the node's own containerd.
import { resolve } from 'node:path';
import { assertKnown, parseFlags } from './flags.ts';
import { importImages, listImages } from '../scripts/node/node-runtime.ts';

const USAGE = `Usage: tskube image import FILE... [--data-dir DIR | --node-dir DIR]
       tskube image ls [--data-dir DIR | --node-dir DIR]

Imports image tarballs (docker save, or an OCI image layout tar) into a node's containerd, where its kubelet
finds them by name: pods using them start with imagePullPolicy IfNotPresent or Never. The node is the one of
\`tskube up --data-dir DIR\` (runtime under DIR/node; default ./.tskube) or, with --node-dir, the runtime dir
of a kubelet started with \`tskube kubelet --data-dir\`. Root only, like the node itself.
`;

export async function runImageCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, ['help']);
  if (flags.booleans.has('help')) {
    process.stdout.write(USAGE);
    return;
  }
  assertKnown(flags, ['data-dir', 'node-dir', 'help']);
  const [sub, ...files] = flags.positional;
  if (sub !== 'import' && sub !== 'ls') throw new Error(`unknown image command ${JSON.stringify(sub ?? '')}\n${USAGE}`);
  if (sub === 'import' && files.length === 0) throw new Error(`image import needs at least one FILE\n${USAGE}`);
  const nodeDir = resolve(flags.values.get('node-dir') ?? `${flags.values.get('data-dir') ?? './.tskube'}/node`);
  const names = sub === 'import' ? await importImages(nodeDir, files.map((f) => resolve(f))) : await listImages(nodeDir);
  process.stdout.write(`${names.join('\n')}\n`);
}
