#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx so `npx sluice` works straight from a checkout.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `sluice: Node ${process.versions.node} is too old (Node 22 or newer is needed).\n` +
      'hint: run it as `npx sluice …` from the repository, which uses the Node 22 that `npm ci` installs.',
  );
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');
