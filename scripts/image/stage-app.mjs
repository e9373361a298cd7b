// SPDX-License-Identifier: Apache-2.0
// Stages what goes into the image's /opt/chaosplane, for scripts/build-image.sh:
//
//   node scripts/image/stage-app.mjs stage <dir>   the workspaces of deploy/image/packages.txt and
//                                                  their @chaosplane dependencies, as `npm pack`
//                                                  would publish them, under <dir>/packages/, a
//                                                  root package.json naming only them, and this
//                                                  repository's package-lock.json
//   node scripts/image/stage-app.mjs check <dir>   after `npm install --omit=dev` in <dir>: every
//                                                  installed package is at the version and place
//                                                  package-lock.json gives it
//
// The staged root is an npm workspace root, so `npm install --omit=dev` there installs exactly the
// locked versions the repository is tested with (a subset of its lockfile), and a derived image's
// `npm install <plugin>` in /opt/chaosplane works as in any npm project. Installing `npm pack`
// tarballs into a plain directory instead would resolve every third-party dependency afresh.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = file => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

function fail(message) {
  process.stderr.write(`stage-app: ${message}\n`);
  process.exit(1);
}

/** Package name → workspace directory (relative to the repository), from the root's workspaces. */
function workspaceDirs() {
  const dirs = new Map();
  for (const pattern of readJson(path.join(repo, 'package.json')).workspaces) {
    // The root lists plain directories and `dir/prefix-*` globs.
    const star = pattern.indexOf('*');
    const candidates =
      star < 0
        ? [pattern]
        : readdirSync(path.join(repo, path.dirname(pattern)))
            .filter(name => name.startsWith(path.basename(pattern).slice(0, -1)))
            .map(name => path.join(path.dirname(pattern), name));
    for (const dir of candidates) {
      const manifest = path.join(repo, dir, 'package.json');
      if (existsSync(manifest)) dirs.set(readJson(manifest).name, dir);
    }
  }
  return dirs;
}

/** The listed packages and every workspace they depend on at run time, in a stable order. */
function closureOf(listed, dirs) {
  const seen = new Set();
  const visit = name => {
    if (seen.has(name)) return;
    const dir = dirs.get(name);
    if (dir === undefined) fail(`${name} (deploy/image/packages.txt) is not a workspace of this repository`);
    seen.add(name);
    const manifest = readJson(path.join(repo, dir, 'package.json'));
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const dependency of Object.keys(manifest[field] ?? {}))
        if (dirs.has(dependency)) visit(dependency);
    }
  };
  listed.forEach(visit);
  return [...seen].sort();
}

function listedPackages() {
  return readFileSync(path.join(repo, 'deploy/image/packages.txt'), 'utf8')
    .split('\n')
    .map(line => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** `npm pack`s one workspace and unpacks it into `target`: the files it would publish. */
function packInto(workspaceDir, target, scratch) {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--workspace', workspaceDir, '--pack-destination', scratch], {
      cwd: repo,
      encoding: 'utf8',
    }),
  );
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(scratch, packed.filename), '--strip-components=1', '-C', target]);
  const manifestPath = path.join(target, 'package.json');
  const manifest = readJson(manifestPath);
  // Nothing is built or tested in the image: devDependencies would only make npm resolve them.
  delete manifest.devDependencies;
  delete manifest.scripts;
  writeJson(manifestPath, manifest);
}

function stage(out) {
  const dirs = workspaceDirs();
  const names = closureOf(listedPackages(), dirs);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'packages'), { recursive: true });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'cp-image-pack-'));
  try {
    for (const name of names) packInto(dirs.get(name), path.join(out, dirs.get(name)), scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const root = readJson(path.join(repo, 'package.json'));
  const operator = readJson(path.join(repo, dirs.get('@chaosplane/operator'), 'package.json'));
  writeJson(path.join(out, 'package.json'), {
    name: 'chaosplane-image',
    version: operator.version,
    description: 'Chaosplane as installed in its container image: add plugins with npm install',
    private: true,
    license: root.license,
    type: 'module',
    workspaces: names.map(name => dirs.get(name)),
  });
  writeFileSync(path.join(out, 'package-lock.json'), readFileSync(path.join(repo, 'package-lock.json')));
  process.stdout.write(`${names.join('\n')}\n`);
}

/** Fails when npm placed a package elsewhere, or at another version, than the repository's lockfile. */
function check(dir) {
  const locked = readJson(path.join(repo, 'package-lock.json')).packages;
  const installed = readJson(path.join(dir, 'package-lock.json')).packages;
  const drift = [];
  for (const [where, entry] of Object.entries(installed)) {
    if (where === '' || entry.link) continue;
    if (locked[where]?.version !== entry.version) {
      drift.push(`${where}: ${entry.version} (repository: ${locked[where]?.version ?? 'absent'})`);
    }
  }
  if (drift.length > 0) fail(`the image's packages differ from package-lock.json:\n  ${drift.join('\n  ')}`);
  process.stdout.write(
    `${Object.keys(installed).length - 1} packages, all as package-lock.json locks them\n`,
  );
}

const [command, dir] = process.argv.slice(2);
if (dir === undefined || !['stage', 'check'].includes(command)) {
  fail('usage: node scripts/image/stage-app.mjs stage|check <dir>');
}
if (command === 'stage') stage(path.resolve(dir));
else check(path.resolve(dir));
