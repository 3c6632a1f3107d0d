// The CLI compiled ahead of time: compiling src/ with tsx at every start cost about 1 CPU second
// a command (a benchmark sync included). `builtCli()` returns src/cli/main.js of a build of the
// current src/, building it when missing; when that fails, bin/sluice.js falls back to tsx.
//
// A build is named by the hash of what it is made from (every file under src/, tsconfig.json,
// this file, the esbuild version), so it cannot go stale: an edited src/ has another hash, and
// the build is made from the very bytes that were hashed. Builds live in dist/cli-<hash>/ (git
// ignores dist/); each is written to a temporary directory and renamed into place, so processes
// starting at once never see half of one. `node bin/build-cli.js` (npm's `prepare`, run by
// `npm ci`) builds the checkout's src/ ahead of the first command.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const PREFIX = 'cli-';
/** Written last into a build: a directory without it is not a build. */
const MARKER = 'BUILT';
/** Builds unused for this long are removed after a new build (a command reads its build only at start). */
const UNUSED_MS = 60 * 60 * 1000;

/** src/cli/main.js of the build of the current src/, built now if missing (throws when it cannot be). */
export async function builtCli() {
  const source = readSource();
  const dir = path.join(DIST, PREFIX + source.hash);
  const marker = path.join(dir, MARKER);
  if (fs.existsSync(marker)) {
    markUsed(marker);
  } else {
    await build(source, dir);
    prune(dir);
  }
  return path.join(dir, 'src', 'cli', 'main.js');
}

/**
 * The esbuild that tsx compiles with (a dependency of tsx, so no second copy to keep in step).
 * Its version is read from its package.json: loading esbuild itself (4 MB) is only for a build.
 */
const esbuildRequire = () => createRequire(createRequire(import.meta.url).resolve('tsx/esm/api'));

/** Every file under src/ (path and bytes) and the hash naming their build. */
function readSource() {
  const { version } = JSON.parse(fs.readFileSync(esbuildRequire().resolve('esbuild/package.json'), 'utf8'));
  const srcDir = path.join(ROOT, 'src');
  const tsconfig = fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8');
  const hash = createHash('sha256')
    .update(fs.readFileSync(fileURLToPath(import.meta.url)))
    .update(`\0${version}\0${tsconfig}\0`);
  const files = [];
  for (const name of fs.readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(srcDir, name);
    if (!fs.statSync(file).isFile()) continue;
    const bytes = fs.readFileSync(file);
    hash.update(`${name}\0${bytes.length}\0`).update(bytes);
    files.push({ name, bytes });
  }
  return { tsconfig, files, hash: hash.digest('hex').slice(0, 20) };
}

/** Compiles every .ts file (one module each, as tsx runs them) and copies the rest (migrations). */
async function build(source, dir) {
  const esbuild = esbuildRequire()('esbuild');
  const temp = path.join(DIST, `.build-${process.pid}-${Date.now()}`);
  try {
    const outputs = await Promise.all(
      source.files.map(async ({ name, bytes }) => {
        if (!name.endsWith('.ts')) return { name, bytes };
        const { code } = await esbuild.transform(bytes.toString('utf8'), {
          loader: 'ts',
          format: 'esm',
          target: 'node22',
          sourcefile: path.join('src', name),
          tsconfigRaw: source.tsconfig,
        });
        return { name: name.slice(0, -'.ts'.length) + '.js', bytes: code };
      }),
    );
    for (const { name, bytes } of outputs) {
      const file = path.join(temp, 'src', name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
    }
    fs.writeFileSync(path.join(temp, MARKER), `${source.hash}\n`);
    try {
      fs.renameSync(temp, dir);
    } catch (error) {
      // Another process finished the same build first: theirs is as good.
      if (!fs.existsSync(path.join(dir, MARKER))) throw error;
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** Notes that a build is in use, so that `prune` keeps it. */
function markUsed(marker) {
  try {
    const now = new Date();
    fs.utimesSync(marker, now, now);
  } catch {
    // A read-only checkout: the build is used all the same.
  }
}

/** Removes builds (and abandoned temporary directories) other than `keep` unused for `UNUSED_MS`. */
function prune(keep) {
  const before = Date.now() - UNUSED_MS;
  for (const entry of fs.readdirSync(DIST)) {
    const dir = path.join(DIST, entry);
    if (dir === keep || !(entry.startsWith(PREFIX) || entry.startsWith('.build-'))) continue;
    try {
      const marker = path.join(dir, MARKER);
      const used = fs.existsSync(marker) ? fs.statSync(marker) : fs.statSync(dir);
      if (used.mtimeMs < before) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const main = await builtCli();
  console.log(`sluice: CLI built in ${path.relative(ROOT, path.dirname(path.dirname(path.dirname(main))))}`);
}
