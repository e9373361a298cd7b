// SPDX-License-Identifier: Apache-2.0
// The API report of every published entry (api-extractor over the built .d.ts), so a change to a
// public surface shows in review. `node scripts/api-report.mjs` checks the committed reports
// (CI); `--update` rewrites them; `--only=<package dir>` limits it to one package. Run after
// `npm run build`.
//
// TypeScript prints a union of literals in the order it created their types, which depends on
// the order it checked files (a clean build and an incremental one differ), so the reports are
// compared and written with such unions sorted: api-extractor writes into a scratch folder and
// this script does the comparison. Each "(ae-undocumented)" note names its source file without
// the line and column: a member moving down a file is not a change to the API.
import { readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const update = process.argv.includes('--update');
const workspaces = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces;
const only = process.argv.find(arg => arg.startsWith('--only='))?.slice('--only='.length);
const packages = workspaces.filter(
  dir => dir.startsWith('packages/') && (!only || dir === `packages/${only}`),
);

/** `"b" | "a" | "c"` → `"a" | "b" | "c"`, on every line. */
const LITERAL_UNION = /"(?:[^"\\]|\\.)*"(?: \| "(?:[^"\\]|\\.)*")+/g;
/** `// src/a.ts:50:3 - (ae-undocumented)` → `// src/a.ts - (ae-undocumented)`. */
const NOTE_POSITION = /^(\/\/ \S+?):\d+:\d+ - /gm;
const normalize = report =>
  report
    .replace(LITERAL_UNION, union => union.split(' | ').sort().join(' | '))
    .replace(NOTE_POSITION, '$1 - ');
const read = file => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

let failed = 0;
for (const dir of packages) {
  const manifest = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
  for (const [entry, target] of Object.entries(manifest.exports ?? {})) {
    const types = typeof target === 'object' ? target.types : undefined;
    if (!types) continue;
    const name = entry === '.' ? 'index' : entry.slice(2).replaceAll('/', '-');
    const reportFolder = path.join(root, dir, 'api');
    const scratchFolder = path.join(root, 'node_modules/.cache/api-report', dir);
    mkdirSync(reportFolder, { recursive: true });
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: path.join(root, dir),
        mainEntryPointFilePath: path.join(root, dir, types),
        compiler: { tsconfigFilePath: path.join(root, dir, 'tsconfig.json') },
        apiReport: {
          enabled: true,
          reportFolder: scratchFolder,
          reportTempFolder: scratchFolder,
          reportFileName: `${name}.api.md`,
        },
        newlineKind: 'lf',
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          extractorMessageReporting: {
            default: { logLevel: 'warning' },
            // Types reached from an entry but not exported from it are listed in the report.
            'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
            'ae-missing-release-tag': { logLevel: 'none' },
            // Shown in the report as "(undocumented)"; test/apiReports.test.ts holds the SDK to none.
            'ae-undocumented': { logLevel: 'none', addToApiReportFile: true },
            // A {@link} to a type another package exports (ChaosPlugin in @chaosplane/sdk, say).
            'ae-unresolved-link': { logLevel: 'none' },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
          compilerMessageReporting: { default: { logLevel: 'warning' } },
        },
      },
      configObjectFullPath: path.join(root, dir, 'api-extractor.json'),
      packageJsonFullPath: path.join(root, dir, 'package.json'),
    });
    const result = Extractor.invoke(config, { localBuild: true, showVerboseMessages: false });
    const report = path.join(reportFolder, `${name}.api.md`);
    const label = `${manifest.name}${entry === '.' ? '' : entry.slice(1)}`;
    const fresh = normalize(readFileSync(path.join(scratchFolder, `${name}.api.md`), 'utf8'));
    const changed = read(report) !== fresh;
    if (changed && update) writeFileSync(report, fresh);
    if (changed && !update) {
      failed += 1;
      console.error(
        `${label}: the API report changed; run node scripts/api-report.mjs --update and commit ${path.relative(root, report)}`,
      );
    } else if (!result.succeeded) {
      failed += 1;
      console.error(
        `${label}: api-extractor reported ${result.errorCount} errors and ${result.warningCount} warnings (above)`,
      );
    }
  }
}
if (failed > 0) process.exit(1);
console.log(update ? 'API reports written' : 'API reports: up to date');
