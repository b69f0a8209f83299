import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderMetrics } from "../../agent/alb/sync/metrics.js";
import { freshState } from "../../agent/alb/sync/state.js";
import { checksFor } from "../../agent/node/doctor/role-checks.js";
import type { CommandRunner } from "../../agent/engine/runner.js";
import type { Role } from "../../agent/facts/types.js";
import { nextApplyRecord } from "../../agent/state/last-apply.js";
import { applyMetrics, bakeMetrics, doctorMetrics } from "../../agent/metrics/node.js";
import { slurmStateMetrics } from "../../agent/metrics/slurm.js";
import { parseSiteText } from "../../agent/site/load.js";
import { tempDir } from "../helpers/engine.js";
import { promtoolProblems } from "../helpers/promtool.js";
import { exampleSiteText, factsFor } from "../helpers/workbench.js";

/*
 * The Grafana dashboard and the Prometheus example in packaging/: provisionable as they are, every
 * PromQL expression parses (promtool), and every series the dashboard reads from pwb-agent is one
 * the agent really writes, with label values (doctor check ids) the agent really uses.
 */

const DASHBOARD = "packaging/grafana/pwb-cluster.json";
const PROMETHEUS = "packaging/prometheus/prometheus.yml";

/**
 * Workbench's own series (rserver.conf metrics-enabled), as Posit documents them for its Prometheus
 * endpoint (docs.posit.co/chronicle/metrics/workbench-metrics.html lists what that endpoint exposes).
 */
const WORKBENCH_SERIES = new Set(["pwb_active_user_sessions", "pwb_jobs_launched_total"]);
/** Prometheus' own per-target series. */
const PROMETHEUS_SERIES = new Set(["up"]);

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"]);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets: Array<{ refId: string; expr: string; datasource: { uid: string } }>;
}

/** Series names an expression reads: identifiers that are not functions, keywords, labels or numbers. */
function seriesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || PROMQL_WORDS.has(m[1]!)) continue;
    names.add(m[1]!);
  }
  return [...names];
}

/** Every metric name the agent writes: node (apply, doctor, bake), Slurm (head) and alb-sync textfiles. */
async function agentSeries(): Promise<Set<string>> {
  const facts = factsFor("head");
  const record = nextApplyRecord(null, { finishedAt: 1, durationMs: 1, report: null, planned: 0, error: "x" });
  const canned: CommandRunner = {
    deferred: [],
    run: async (argv) => ({ argv, code: 0, stdout: argv[0]!.endsWith("sinfo") ? "debug|idle|1\n" : "debug|RUNNING\n", stderr: "", durationMs: 0, deferred: false }),
  };
  const site = parseSiteText(exampleSiteText(), "site.yaml");
  const albText = renderMetrics(freshState("c", "r"), { success: true, durationMs: 1, apiCalls: 2, desired: 1, actual: 1, drift: 0, held: 0, blocked: 0 });
  return new Set([
    ...applyMetrics(facts, record).metricNames(),
    ...doctorMetrics(facts, [], 1, 0).metricNames(),
    ...bakeMetrics({ finishedAt: 1, success: true, durationMs: 1, installed: 0, downloaded: 0 }).metricNames(),
    ...(await slurmStateMetrics(canned, site, 1)).metricNames(),
    ...[...albText.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!),
  ]);
}

/** Every doctor check id, over all roles, for a site that turns every optional check on. */
function checkIds(): Set<string> {
  // The example already has a spank: section; a default image turns the container checks on too.
  const text = exampleSiteText().replace(/^spank:\n/m, "spank:\n  defaultImage: /opt/rstudio/container/r.sif\n");
  const site = parseSiteText(text, "site.yaml");
  const ids = new Set<string>();
  for (const role of ["head", "login", "compute"] as Role[]) {
    const facts = { ...factsFor(role), gpu: { vendor: "nvidia" as const, count: 1, model: null, driverVersion: null, evidence: ["pci" as const] } };
    for (const c of checksFor({ root: null as never, runner: null as never, facts, site, siteSource: "", planChanges: async () => [] })) ids.add(c.id);
  }
  return ids;
}

describe("Grafana dashboard (packaging/grafana/pwb-cluster.json)", () => {
  it("is provisionable as is: a Prometheus datasource variable, ≥ 6 panels with unique ids, every query on that datasource", async () => {
    const d = JSON.parse(await fs.readFile(DASHBOARD, "utf8")) as { uid: string; title: string; templating: { list: Array<{ name: string; type: string; query: string }> }; panels: Panel[] };
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }));
    expect(d.panels.length).toBeGreaterThanOrEqual(6);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) {
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource.uid, p.title).toBe("${datasource}");
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it("every expression is valid PromQL (promtool check rules)", async () => {
    const d = JSON.parse(await fs.readFile(DASHBOARD, "utf8")) as { panels: Panel[] };
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const dir = await tempDir("pwb-dashboard-");
    const rules = path.join(dir, "rules.yml");
    const lines = ["groups:", "  - name: dashboard", "    rules:", ...exprs.flatMap((e, i) => [`      - record: dashboard:expr_${i}`, `        expr: ${JSON.stringify(e)}`])];
    await fs.writeFile(rules, lines.join("\n") + "\n");
    const r = spawnSync("promtool", ["check", "rules", rules], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
  });

  it("every series it reads is one pwb-agent writes (or Workbench's / Prometheus' own), and every check id it names exists", async () => {
    const d = JSON.parse(await fs.readFile(DASHBOARD, "utf8")) as { panels: Panel[] };
    const agent = await agentSeries();
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const used = new Set(exprs.flatMap(seriesOf));
    const unknown = [...used].filter((n) => !agent.has(n) && !WORKBENCH_SERIES.has(n) && !PROMETHEUS_SERIES.has(n));
    expect(unknown).toEqual([]);
    // It really covers the agent's families: apply, drift, doctor, alb-sync, Slurm.
    for (const prefix of ["pwb_agent_apply_", "pwb_agent_drift_", "pwb_agent_doctor_", "pwb_alb_sync_", "pwb_slurm_"]) {
      expect([...used].some((n) => n.startsWith(prefix)), prefix).toBe(true);
    }
    const ids = checkIds();
    const named = exprs.flatMap((e) => [...e.matchAll(/check="([^"]+)"/g)].map((m) => m[1]!));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
  });

  it("the name extraction sees through functions, matchers, ranges and groupings", () => {
    expect(seriesOf('sum by (instance) (rate(pwb_jobs_launched_total{job="x"}[5m])) * 60')).toEqual(["pwb_jobs_launched_total"]);
    expect(seriesOf("time() - max(pwb_alb_sync_last_success_timestamp_seconds)")).toEqual(["pwb_alb_sync_last_success_timestamp_seconds"]);
    expect(seriesOf('a_metric{status="fail"} == 1 and on(instance) other_metric')).toEqual(["a_metric", "other_metric"]);
  });
});

describe("Prometheus example (packaging/prometheus/prometheus.yml)", () => {
  it("is a valid Prometheus configuration scraping node_exporter everywhere and Workbench's endpoint on login nodes", async () => {
    const r = spawnSync("promtool", ["check", "config", "--syntax-only", PROMETHEUS], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const text = await fs.readFile(PROMETHEUS, "utf8");
    expect(text).toMatch(/job_name: node\n[\s\S]*port: 9100/);
    expect(text).toMatch(/job_name: workbench\n[\s\S]*port: 8989[\s\S]*values: \[LoginNode\]/);
  });

  it("the agent's textfiles are valid for promtool, and node_exporter would not see a series twice across them", async () => {
    const facts = factsFor("head");
    const record = nextApplyRecord(null, { finishedAt: 1, durationMs: 1, report: null, planned: 0, error: "boom" });
    const texts = [applyMetrics(facts, record), doctorMetrics(facts, [], 1, 3), bakeMetrics({ finishedAt: 1, success: false, durationMs: 1, installed: 0, downloaded: 0 })].map(String);
    for (const t of texts) expect(promtoolProblems(t)).toBe("");
    const names = texts.flatMap((t) => [...t.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    expect(new Set(names).size).toBe(names.length);
  });
});
