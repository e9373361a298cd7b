// SPDX-License-Identifier: Apache-2.0
// Prints one plain closing line, "N passed, N failed, N skipped", that any CI reads. It is
// written when jest exits, so it comes after jest's own summary.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.once('exit', () => {
      process.stderr.write(`\n${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
    });
  }
}
