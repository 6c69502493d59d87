/**
 * Per-file and per-test wall times, slowest first, to find where the suite
 * spends its minutes. Not in the default run:
 *   npm run jest -- <files> --reporters=default --reporters=./__tests__/helpers/timingReporter.js
 * TIMING_TOP=<n> sets how many tests per file are listed (default 8).
 */
class TimingReporter {
  onRunComplete(_contexts, results) {
    const top = Number(process.env.TIMING_TOP || 8);
    const files = results.testResults
      .map((file) => ({
        name: file.testFilePath.split('/__tests__/').pop(),
        seconds: (file.perfStats.end - file.perfStats.start) / 1000,
        tests: file.testResults.map((t) => ({ name: t.fullName, seconds: (t.duration ?? 0) / 1000 })),
      }))
      .sort((a, b) => b.seconds - a.seconds);
    const lines = ['', 'file and test wall times (s):'];
    for (const file of files) {
      const inTests = file.tests.reduce((sum, t) => sum + t.seconds, 0);
      lines.push(`${file.seconds.toFixed(1).padStart(7)}  ${file.name}  (tests ${inTests.toFixed(1)}, hooks and load ${(file.seconds - inTests).toFixed(1)})`);
      for (const t of [...file.tests].sort((a, b) => b.seconds - a.seconds).slice(0, top)) {
        lines.push(`${t.seconds.toFixed(1).padStart(13)}  ${t.name}`);
      }
    }
    const wall = (Date.now() - results.startTime) / 1000;
    lines.push(`${wall.toFixed(1).padStart(7)}  wall, ${files.length} files`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}
module.exports = TimingReporter;
