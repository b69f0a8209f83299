// No child process of the agent goes through a shell or takes its command as one string: every
// spawn is an argument vector, so no value (a path, a site setting, a hostname) can become shell syntax.
// Checked on the syntax tree of every file under agent/, with the checker itself proven on bad code.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SPAWNERS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "fork"]);
const SHELL_ONLY = new Set(["exec", "execSync"]);
const SHELLS = /^(\/usr)?(\/bin\/)?(sh|bash|dash|zsh|ksh|csh|tcsh|fish)$/;

/** Every way `source` could start a process through a shell or from one command string. */
function shellUses(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const where = (n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  // Names bound to child_process: `import { spawn as s }`, `import * as cp`, `import cp from`, require().
  const local = new Map<string, string>();
  const namespaces = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier) && /^(node:)?child_process$/.test(n.moduleSpecifier.text)) {
      const b = n.importClause?.namedBindings;
      if (n.importClause?.name) namespaces.add(n.importClause.name.text);
      if (b && ts.isNamespaceImport(b)) namespaces.add(b.name.text);
      if (b && ts.isNamedImports(b)) for (const el of b.elements) local.set(el.name.text, (el.propertyName ?? el.name).text);
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "require" && n.arguments[0] && ts.isStringLiteral(n.arguments[0]) && /^(node:)?child_process$/.test(n.arguments[0].text)) {
      found.push(`${where(n)}: require("child_process") (import it, so this check can follow it)`);
    }
    if (ts.isCallExpression(n)) {
      let fn: string | undefined;
      if (ts.isIdentifier(n.expression)) fn = local.get(n.expression.text);
      else if (ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && namespaces.has(n.expression.expression.text)) fn = n.expression.name.text;
      if (fn && SHELL_ONLY.has(fn)) found.push(`${where(n)}: ${fn}() always runs a shell`);
      if (fn && SPAWNERS.has(fn)) {
        const [cmd, args] = n.arguments;
        if (fn !== "fork" && (!args || ts.isStringLiteral(args) || ts.isObjectLiteralExpression(args))) found.push(`${where(n)}: ${fn}() without an argument array`);
        if (cmd && ts.isStringLiteral(cmd) && /\s/.test(cmd.text)) found.push(`${where(n)}: ${fn}("${cmd.text}") is a command string`);
        if (cmd && ts.isStringLiteral(cmd) && SHELLS.test(cmd.text)) found.push(`${where(n)}: ${fn}("${cmd.text}") starts a shell`);
      }
    }
    // `shell: <anything but false>` in any object literal: spawn options are often built apart from the call.
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === "shell" && n.initializer.kind !== ts.SyntaxKind.FalseKeyword) {
      found.push(`${where(n)}: shell option set`);
    }
    if (ts.isShorthandPropertyAssignment(n) && n.name.text === "shell") found.push(`${where(n)}: shell option set`);
    // An argument vector that starts a shell with -c (e.g. runner.run(["sh", "-c", …])).
    if (ts.isArrayLiteralExpression(n)) {
      const [first, second] = n.elements;
      if (first && second && ts.isStringLiteral(first) && SHELLS.test(first.text) && ts.isStringLiteral(second) && /^-\w*c/.test(second.text)) {
        found.push(`${where(n)}: ["${first.text}", "${second.text}", …] runs a shell`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function agentFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

describe("no shell anywhere in agent/", () => {
  it("the checker finds each way a shell or a command string could sneak in", () => {
    const bad: Array<[string, string]> = [
      ["exec", `import { exec } from "node:child_process"; exec("ls " + dir);`],
      ["execSync", `import { execSync as run } from "child_process"; run("id");`],
      ["namespace", `import * as cp from "node:child_process"; cp.exec("id");`],
      ["default import", `import cp from "node:child_process"; cp.execSync("id");`],
      ["shell: true", `import { spawn } from "node:child_process"; spawn("ls", [], { shell: true });`],
      ["shell option built apart", `const opts = { stdio: "pipe", shell: "/bin/bash" };`],
      ["command string", `import { spawn } from "node:child_process"; spawn("systemctl restart x");`],
      ["no argv", `import { execFile } from "node:child_process"; execFile(cmd, { timeout: 1 });`],
      ["sh -c vector", `runner.run(["sh", "-c", "systemctl daemon-reload && true"]);`],
      ["bash -lc vector", `const argv = ["/bin/bash", "-lc", script];`],
      ["spawn a shell", `import { spawn } from "node:child_process"; spawn("bash", ["script.sh"]);`],
      ["require", `const cp = require("child_process");`],
    ];
    for (const [what, code] of bad) expect(shellUses(`${what}.ts`, code), what).not.toEqual([]);
    expect(shellUses("good.ts", `import { spawn } from "node:child_process"; spawn(argv[0], argv.slice(1), { shell: false, stdio: "pipe" });`)).toEqual([]);
  });

  it("finds none in the agent's source", () => {
    const files = agentFiles(path.resolve("agent"));
    expect(files.length).toBeGreaterThan(100);
    const uses = files.flatMap((f) => shellUses(path.relative(process.cwd(), f), readFileSync(f, "utf8")));
    expect(uses).toEqual([]);
    // The one place processes start is still found by the checker's import tracking.
    const runner = readFileSync(path.resolve("agent/engine/runner.ts"), "utf8");
    expect(runner).toMatch(/from "node:child_process"/);
  });
});
