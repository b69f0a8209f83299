// packaging/ssm/pwb-agent-command.json: the SSM Command document `pwb-agent fleet` sends. Checks its
// structure against what SSM accepts for schemaVersion 2.2, then renders its script the way SSM
// does (parameters pasted into {{ }}) and runs it with bash against a stub agent.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLEET_SUBCOMMANDS } from "../../agent/fleet/document.js";

const DOC_PATH = path.resolve("packaging/ssm/pwb-agent-command.json");

interface Parameter {
  type: string;
  description?: string;
  allowedValues?: string[];
  allowedPattern?: string;
  default?: string;
}
interface Step {
  action: string;
  name: string;
  precondition?: Record<string, unknown>;
  inputs: { runCommand: string[]; timeoutSeconds?: string; workingDirectory?: string };
}
interface CommandDocument {
  schemaVersion: string;
  description: string;
  parameters: Record<string, Parameter>;
  mainSteps: Step[];
}

const doc = JSON.parse(readFileSync(DOC_PATH, "utf8")) as CommandDocument;
const REF = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** What SSM does before the agent runs the script: every {{ name }} replaced by the value. */
function render(values: Record<string, string>): string {
  const all = Object.fromEntries(Object.entries(doc.parameters).map(([k, p]) => [k, values[k] ?? p.default ?? ""]));
  return doc.mainSteps[0]!.inputs.runCommand.join("\n").replace(REF, (_m, name: string) => all[name]!) + "\n";
}

let scratch = "";

describe("SSM command document", () => {
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), "pwb-ssm-doc-"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("is a schemaVersion 2.2 Command document with one aws:runShellScript step for Linux", () => {
    expect(Object.keys(doc).sort()).toEqual(["description", "mainSteps", "parameters", "schemaVersion"]);
    expect(doc.schemaVersion).toBe("2.2");
    expect(doc.description.length).toBeGreaterThan(0);
    expect(doc.description.length).toBeLessThanOrEqual(1024);
    expect(doc.mainSteps).toHaveLength(1);
    const step = doc.mainSteps[0]!;
    expect(step.action).toBe("aws:runShellScript");
    // SSM step names: letters, digits, '-', '_' and '.', up to 100.
    expect(step.name).toMatch(/^[A-Za-z0-9_.-]{1,100}$/);
    expect(step.precondition).toEqual({ StringEquals: ["platformType", "Linux"] });
    expect(Object.keys(step.inputs).sort()).toEqual(["runCommand", "timeoutSeconds", "workingDirectory"]);
    expect(Array.isArray(step.inputs.runCommand)).toBe(true);
    for (const line of step.inputs.runCommand) expect(typeof line).toBe("string");
    expect(step.inputs.runCommand[0]).toBe("#!/bin/bash");
  });

  it("the sub-command parameter is exactly detect|plan|apply|doctor, the same list the fleet command offers", () => {
    const p = doc.parameters.subcommand!;
    expect(p.type).toBe("String");
    expect(p.allowedValues).toEqual(["detect", "plan", "apply", "doctor"]);
    expect([...FLEET_SUBCOMMANDS]).toEqual(p.allowedValues);
    expect(p.allowedValues).toContain(p.default);
  });

  it("every parameter is typed, constrained, has a valid default, and is used; every reference is declared", () => {
    const used = new Set([...JSON.stringify(doc.mainSteps).matchAll(REF)].map((m) => m[1]!));
    expect([...used].sort()).toEqual(Object.keys(doc.parameters).sort());
    for (const [name, p] of Object.entries(doc.parameters)) {
      expect(name).toMatch(/^[A-Za-z0-9_]+$/);
      expect(["String"]).toContain(p.type);
      // Pasted into a shell script: only enumerated or pattern-restricted values may reach it.
      expect(p.allowedValues ?? p.allowedPattern, name).toBeDefined();
      if (p.allowedValues) expect(p.allowedValues, name).toContain(p.default);
      if (p.allowedPattern) expect(p.default, name).toMatch(new RegExp(p.allowedPattern));
    }
    // A pattern that lets a quote or newline through could break out of the script's quoting.
    expect("600'; rm -rf /").not.toMatch(new RegExp(doc.parameters.executionTimeout!.allowedPattern!));
  });

  it("the rendered script passes bash -n and shellcheck", () => {
    for (const sub of doc.parameters.subcommand!.allowedValues!) {
      const file = path.join(scratch, `script-${sub}.sh`);
      writeFileSync(file, render({ subcommand: sub }));
      const n = spawnSync("bash", ["-n", file], { encoding: "utf8" });
      expect(n.status, n.stderr).toBe(0);
      const sc = spawnSync("shellcheck", [file], { encoding: "utf8" });
      if (sc.error) throw new Error("shellcheck missing: apt-get install shellcheck");
      expect(sc.stdout, sub).toBe("");
      expect(sc.status).toBe(0);
    }
  });

  describe("run against a stub agent", () => {
    function runWith(values: Record<string, string>, exitCode = 0, installed = true) {
      const stub = path.join(scratch, "stub-agent");
      writeFileSync(stub, `#!/bin/sh\nprintf '%s\\n' "$@"\nexit ${exitCode}\n`);
      chmodSync(stub, 0o755);
      const agent = installed ? stub : path.join(scratch, "not-installed");
      const script = render(values).replace("agent=/usr/bin/pwb-agent", `agent=${agent}`);
      expect(script).toContain(`agent=${agent}`);
      const file = path.join(scratch, "run.sh");
      writeFileSync(file, script);
      return spawnSync("bash", [file], { encoding: "utf8" });
    }

    it("passes --quiet --json and the sub-command as separate arguments", () => {
      const r = runWith({ subcommand: "plan" });
      expect(r.stdout.split("\n").filter(Boolean)).toEqual(["--quiet", "--json", "plan"]);
      expect(r.status).toBe(0);
      expect(runWith({ subcommand: "doctor", output: "text" }).stdout.split("\n").filter(Boolean)).toEqual(["--quiet", "doctor"]);
    });

    it("returns the agent's own exit code (plan's 10 stays 10) and 127 when the agent is missing", () => {
      expect(runWith({ subcommand: "plan" }, 10).status).toBe(10);
      expect(runWith({ subcommand: "apply" }, 1).status).toBe(1);
      const missing = runWith({ subcommand: "detect" }, 0, false);
      expect(missing.status).toBe(127);
      expect(missing.stderr).toContain("not installed");
    });

    it("refuses a sub-command outside the list even if SSM's own check were bypassed", () => {
      const r = runWith({ subcommand: "bake" });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
    });
  });
});
