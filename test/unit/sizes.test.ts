// Small files, one concern each: no file under agent/ over 300 lines and no function over 80 lines,
// unless a `size:` comment says why (at the top of the file, or just above the function). Checked on
// the syntax tree, with the checker itself shown to fail on planted long code.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
const REASON = /\bsize:\s*\S/;

function agentFiles(dir = "agent"): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? agentFiles(p) : p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** The comments right before `node` (a JSDoc or line comments), and for an arrow function those of its statement. */
function leadingComments(source: string, node: ts.Node): string {
  let at: ts.Node = node;
  while (at.parent && !ts.isSourceFile(at.parent) && !ts.isBlock(at.parent) && !ts.isClassDeclaration(at.parent) && !ts.isObjectLiteralExpression(at.parent)) at = at.parent;
  return (ts.getLeadingCommentRanges(source, at.getFullStart()) ?? []).map((r) => source.slice(r.pos, r.end)).join("\n");
}

export function sizeViolations(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const lines = source.split("\n").length - (source.endsWith("\n") ? 1 : 0);
  const head = (ts.getLeadingCommentRanges(source, 0) ?? []).map((r) => source.slice(r.pos, r.end)).join("\n");
  if (lines > MAX_FILE_LINES && !REASON.test(head)) out.push(`${file}: ${lines} lines, over ${MAX_FILE_LINES}, and no "size:" comment at its top says why`);
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n)) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const length = sf.getLineAndCharacterOfPosition(n.getEnd()).line - start + 1;
      if (length > MAX_FUNCTION_LINES && !REASON.test(leadingComments(source, n))) {
        const name = (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name ? n.name.getText(sf) : "a function";
        out.push(`${file}:${start + 1}: ${name} is ${length} lines, over ${MAX_FUNCTION_LINES}, and no "size:" comment above it says why`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe("sizes of agent/", () => {
  it("reads the real tree (the check below would pass vacuously on nothing)", () => {
    expect(agentFiles().length).toBeGreaterThan(150);
  });

  it(`no file over ${MAX_FILE_LINES} lines and no function over ${MAX_FUNCTION_LINES} without a reason`, () => {
    expect(agentFiles().flatMap((f) => sizeViolations(f, readFileSync(f, "utf8")))).toEqual([]);
  });

  it("the checker fails on a long file and a long function, and accepts each with its reason", () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const v${i} = ${i};`).join("\n");
    const longFn = `export function big() {\n${body}\n}\n`;
    expect(sizeViolations("a.ts", longFn)).toEqual([`a.ts:1: big is 87 lines, over 80, and no "size:" comment above it says why`]);
    expect(sizeViolations("a.ts", `// size: one table read top to bottom\n${longFn}`)).toEqual([]);
    const longArrow = `const x = 1;\nexport const big = () => {\n${body}\n};\n`;
    expect(sizeViolations("b.ts", longArrow)).toHaveLength(1);
    expect(sizeViolations("b.ts", `const x = 1;\n/** size: a reason */\nexport const big = () => {\n${body}\n};\n`)).toEqual([]);
    const longFile = Array.from({ length: 301 }, (_, i) => `export const c${i} = ${i};`).join("\n") + "\n";
    expect(sizeViolations("c.ts", longFile)).toEqual([`c.ts: 301 lines, over 300, and no "size:" comment at its top says why`]);
    expect(sizeViolations("c.ts", `// size: a data table\n${longFile}`)).toEqual([]);
    // A reason for one function does not cover another.
    expect(sizeViolations("d.ts", `// size: reason\n${longFn}${longFn.replace("big", "big2")}`)).toHaveLength(1);
  });
});
