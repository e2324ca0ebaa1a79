// Builds a JavaScript guichet plugin into a component:
//   node componentize.mjs SOURCE.js WIT_DIR WORLD OUTPUT.wasm
// e.g. node componentize.mjs macros.js wit guichet:plugin/macros@0.1.0 macros.wasm
//
// It calls componentize-js's API rather than `jco componentize`: jco 1.35 could not
// read a WIT folder given to it on this project's machines ("failed to get path
// metadata"), the API can. HTTP and the fetch event are left out: plugins have no
// network, and the component then imports nothing the host does not provide.
import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';

const [source, wit, world, output] = process.argv.slice(2);
if (!output) {
  console.error('usage: node componentize.mjs SOURCE.js WIT_DIR WORLD OUTPUT.wasm');
  process.exit(2);
}
const { component } = await componentize({
  sourcePath: source,
  witPath: wit,
  worldName: world,
  disableFeatures: ['http', 'fetch-event'],
});
await writeFile(output, component);
console.log(`built ${output} (${component.length} bytes)`);
