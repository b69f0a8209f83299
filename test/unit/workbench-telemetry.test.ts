import { describe, expect, it } from "vitest";
import { parseConfig, topLevel } from "../../agent/components/workbench/config/ini-read.js";
import { readersOf } from "../../agent/components/workbench/paths.js";
import { sharedConfigResources, sharedFiles } from "../../agent/components/workbench/head/render.js";
import { parseSiteText } from "../../agent/site/load.js";
import type { SiteConfig } from "../../agent/site/types.js";
import { headInputs, MINIMAL } from "../helpers/workbench.js";

/*
 * Workbench's own telemetry from the site's `telemetry:` section: the Prometheus endpoint, the access
 * log, job auditing (rserver.conf) and logging.conf, with their documented defaults.
 */

const site = (extra = "", text = MINIMAL) => parseSiteText(text + extra, "site.yaml");
const file = (s: SiteConfig, name: string) => sharedFiles(s, headInputs()).find((f) => f.name === name)?.content.toString();
const rserver = (s: SiteConfig) => topLevel(parseConfig(file(s, "rserver.conf")!));
const TELEMETRY_KEYS = ["metrics-enabled", "metrics-port", "server-access-log", "audited-jobs", "audited-jobs-storage-path"];
const telemetryKeys = (s: SiteConfig) => Object.fromEntries(TELEMETRY_KEYS.filter((k) => rserver(s).has(k)).map((k) => [k, rserver(s).get(k)]));

describe("Workbench telemetry (site telemetry:)", () => {
  it("defaults: the Prometheus endpoint on 8989 and the access log on; logging.conf at info, to files, rotated", () => {
    const s = site();
    expect(s.telemetry).toEqual({
      metrics: { enabled: true, port: 8989 },
      logging: { level: "info", destination: "file", format: "pretty", maxSizeMiB: 50, maxRotations: 10, deleteDays: 30 },
      accessLog: true,
      auditedJobs: false,
      cloudwatch: false,
      jobCompletion: { enabled: false, path: "/var/log/pwb-agent/jobs/jobcomp.jsonl" },
    });
    expect(telemetryKeys(s)).toEqual({ "metrics-enabled": "1", "metrics-port": "8989", "server-access-log": "1" });
    expect(file(s, "logging.conf")).toBe(
      "# Written by pwb-agent from the site config. Local edits are overwritten by the next apply.\n\n[*]\nlog-level=info\nlogger-type=file\nlog-message-format=pretty\nmax-size-mb=50\nmax-rotations=10\ndelete-days=30\n",
    );
  });

  it("before Workbench 2024.04 the endpoint does not exist: off by default, and asking for it names the field", () => {
    const old = MINIMAL.replace("2024.12.1+563.pro5", "2023.12.1+402.pro1");
    expect(telemetryKeys(site("", old))).toEqual({ "server-access-log": "1" });
    expect(() => site("telemetry: { metrics: { enabled: true } }\n", old)).toThrow(/telemetry\.metrics\.enabled.*2024\.04\.0/s);
  });

  it("the site's choices: another port, journald in JSON (no rotation keys), no access log, audited jobs with their directory", () => {
    const s = site("telemetry:\n  metrics: { port: 9101 }\n  logging: { level: warn, destination: journald, format: json }\n  accessLog: false\n  auditedJobs: true\n");
    expect(telemetryKeys(s)).toEqual({ "metrics-enabled": "1", "metrics-port": "9101", "audited-jobs": "1", "audited-jobs-storage-path": "/opt/rstudio/shared-data/audited-jobs" });
    expect(file(s, "logging.conf")!.split("\n").slice(2)).toEqual(["[*]", "log-level=warn", "logger-type=stderr", "log-message-format=json", ""]);
    const dir = sharedConfigResources(s, headInputs()).find((r) => r.kind === "dir" && r.path === "/opt/rstudio/shared-data/audited-jobs");
    expect(dir).toMatchObject({ owner: "rstudio-server", mode: 0o755 });
    expect(telemetryKeys(site("telemetry: { metrics: { enabled: false } }\n"))).toEqual({ "server-access-log": "1" });
  });

  it("syslog; every program reads logging.conf, so a change restarts both services", () => {
    expect(file(site("telemetry: { logging: { destination: syslog } }\n"), "logging.conf")).toContain("logger-type=syslog\nlog-message-format=pretty\n");
    expect(readersOf("logging.conf").sort()).toEqual(["rstudio-launcher.service", "rstudio-server.service"]);
  });

  it("bad input names the field; the telemetry keys cannot be set through workbench.rserver", () => {
    expect(() => site("telemetry: { logging: { level: loud } }\n")).toThrow(/telemetry\.logging\.level.*expected one of "debug", "info", "warn", "error"/s);
    expect(() => site("telemetry: { logging: { maxSizeMiB: 0 } }\n")).toThrow(/telemetry\.logging\.maxSizeMiB/);
    expect(() => site("telemetry: { metrix: {} }\n")).toThrow(/telemetry\.metrix.*metrics/s);
    const managed = MINIMAL.replace("  url: https://workbench.example.com", "  url: https://workbench.example.com\n  rserver: { metrics-port: 9000 }");
    expect(() => site("", managed)).toThrow(/workbench\.rserver\.metrics-port.*telemetry|set metrics-port through its own site field/s);
  });
});
