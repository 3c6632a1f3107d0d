#!/usr/bin/env node
// Launcher: runs the CLI built from the current src/ (bin/build-cli.js, about 1 CPU second less
// per command than compiling with tsx), or through tsx when it cannot be built or SLUICE_TSX=1
// asks for it (stack traces then name the .ts files).
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `sluice: Node ${process.versions.node} is too old (Node 22 or newer is needed).\n` +
      'hint: run it as `npx sluice …` from the repository, which uses the Node 22 that `npm ci` installs.',
  );
  process.exit(2);
}
let built = null;
if (process.env.SLUICE_TSX !== '1') {
  try {
    const { builtCli } = await import('./build-cli.js');
    built = await builtCli();
  } catch {
    // No build (e.g. a read-only checkout without dist/): tsx runs the same source.
  }
}
if (built !== null) {
  const { pathToFileURL } = await import('node:url');
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
