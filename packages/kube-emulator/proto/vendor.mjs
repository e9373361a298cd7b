#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Vendors the Kubernetes protobuf definitions the emulator decodes request bodies with, and
// derives goFields.json from the Go types they were generated from. Run from this directory:
//
//   node vendor.mjs [TAG]            clones kubernetes/api and kubernetes/apimachinery at TAG
//   node vendor.mjs TAG API_GIT MACHINERY_GIT   reads TAG from existing clones instead
//
// goFields.json holds, per protobuf message, what the .proto files do not say about each field
// of the Go struct behind it: its Go type as Go's reflection prints it (decoding error messages
// name it), whether it is a pointer or `omitempty` (a zero value on the wire is then absent, or
// present, in the JSON form), and whether it is inlined into its parent's JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [tag = 'v0.32.13', apiGit, machineryGit] = process.argv.slice(2);

/** The API groups served by the emulator whose built-in kinds clients send as protobuf. */
const API_GROUPS = [
  'core/v1',
  'apps/v1',
  'batch/v1',
  'autoscaling/v1',
  'rbac/v1',
  'coordination/v1',
  'discovery/v1',
  'events/v1',
];
/** What the groups import, and meta/v1's Go types (ObjectMeta, LabelSelector, DeleteOptions). */
const MACHINERY = [
  'pkg/apis/meta/v1',
  'pkg/runtime',
  'pkg/runtime/schema',
  'pkg/util/intstr',
  'pkg/api/resource',
];

function clone(repo) {
  const dir = mkdtempSync(path.join(tmpdir(), 'k8s-proto-'));
  execFileSync('git', ['clone', '--quiet', '--bare', '--depth', '1', '--branch', tag, repo, dir]);
  return dir;
}

const api = apiGit ?? clone('https://github.com/kubernetes/api.git');
const machinery = machineryGit ?? clone('https://github.com/kubernetes/apimachinery.git');
const show = (git, file) =>
  execFileSync('git', ['--git-dir', git, 'show', `${tag}:${file}`], { encoding: 'utf8' });

function vendor(git, from, to) {
  const target = path.join(here, to);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, show(git, from));
}

for (const g of API_GROUPS) vendor(api, `${g}/generated.proto`, `k8s.io/api/${g}/generated.proto`);
for (const p of MACHINERY)
  vendor(machinery, `${p}/generated.proto`, `k8s.io/apimachinery/${p}/generated.proto`);
vendor(api, 'LICENSE', 'LICENSE');

const BUILTIN = new Set([
  'string',
  'bool',
  'int',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'float32',
  'float64',
  'byte',
]);

/** A Go type expression as reflect prints it: package names for aliases, the local package named. */
function reflectType(expr, imports, localPackage) {
  return expr.replace(/\b(?:(\w+)\.)?([A-Za-z_]\w*)\b/g, (whole, alias, name) => {
    if (alias) return `${imports.get(alias) ?? alias}.${name}`;
    if (name === 'byte') return 'uint8';
    if (BUILTIN.has(name) || name === 'map') return name;
    return `${localPackage}.${name}`;
  });
}

/** Import aliases of a Go file: alias (or last path element) to package name. */
function importsOf(source) {
  const imports = new Map();
  for (const m of source.matchAll(/^\s*(?:(\w+)\s+)?"([^"]+)"\s*$/gm)) {
    const pkg = m[2].split('/').pop();
    imports.set(m[1] ?? pkg, pkg);
  }
  return imports;
}

/** The fields with a protobuf tag of every struct in a Go file, keyed by proto message name. */
function structsOf(source, protoPackage, localPackage) {
  const imports = importsOf(source);
  const out = {};
  for (const block of source.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    const fields = {};
    for (const line of block[2].split('\n')) {
      // `Name Type `tags`` or an embedded `Type `tags``.
      const named = /^\t(\w+)\s+([^\s`]+)\s+`([^`]*)`/.exec(line);
      const embedded = named ? null : /^\t([^\s`]+)\s+`([^`]*)`/.exec(line);
      const [goName, typeExpr, tags] = named
        ? [named[1], named[2], named[3]]
        : embedded
          ? [undefined, embedded[1], embedded[2]]
          : [];
      if (!tags || !/protobuf:"/.test(tags)) continue;
      const json = /json:"([^"]*)"/.exec(tags)?.[1] ?? '';
      const [jsonName, ...opts] = json.split(',');
      const protoName =
        /protobuf:"[^"]*\bname=(\w+)/.exec(tags)?.[1] ??
        lowerFirst(goName ?? typeExpr.replace(/^\*|.*\./g, ''));
      const flags = [];
      if (typeExpr.startsWith('*')) flags.push('pointer');
      if (opts.includes('omitempty')) flags.push('omitempty');
      if (opts.includes('inline') || jsonName === '') flags.push('inline');
      fields[protoName] = [reflectType(typeExpr, imports, localPackage), ...flags].join(',');
    }
    if (Object.keys(fields).length > 0) out[`${protoPackage}.${block[1]}`] = fields;
  }
  return out;
}

function lowerFirst(s) {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

const table = {};
for (const g of API_GROUPS) {
  Object.assign(table, structsOf(show(api, `${g}/types.go`), `k8s.io.api.${g.replace('/', '.')}`, 'v1'));
}
Object.assign(
  table,
  structsOf(show(machinery, 'pkg/apis/meta/v1/types.go'), 'k8s.io.apimachinery.pkg.apis.meta.v1', 'v1'),
);
const sorted = Object.fromEntries(
  Object.keys(table)
    .sort()
    .map(k => [k, table[k]]),
);
writeFileSync(
  path.join(here, 'goFields.json'),
  JSON.stringify({ source: { 'k8s.io/api': tag, 'k8s.io/apimachinery': tag }, messages: sorted }, null, 2) +
    '\n',
);
if (!apiGit) rmSync(api, { recursive: true, force: true });
if (!machineryGit) rmSync(machinery, { recursive: true, force: true });
console.log(
  `vendored ${API_GROUPS.length + MACHINERY.length} proto files and ${Object.keys(sorted).length} messages from ${tag}`,
);
