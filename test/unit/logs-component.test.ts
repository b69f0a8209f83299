import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildRenderInput, parseClusterInput } from "../../agent/pcluster/build-input.js";
import { renderAll } from "../../agent/pcluster/outputs.js";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { parsePclusterVersion } from "../../agent/pcluster/versions.js";
import { appendedStamp, cloudwatchFragment, CW_FRAGMENT } from "../../agent/components/logs/cloudwatch.js";
import { logsComponent } from "../../agent/components/logs/index.js";
import { JOBCOMP_SCRIPT } from "../../agent/components/logs/jobcomp.js";
import type { Resource } from "../../agent/engine/types.js";
import type { Role } from "../../agent/facts/types.js";
import { parseSiteText } from "../../agent/site/load.js";
import { exampleSiteText, factsFor } from "../helpers/workbench.js";

/*
 * The logs component: the CloudWatch agent fragment per role (appended to ParallelCluster's agent
 * configuration, into the cluster's log group) and the head node's job completion script; and the
 * cluster configuration that makes Slurm run that script.
 */

const LOG_GROUP = "/aws/parallelcluster/pwb-demo-202611301200";
const EXAMPLE_FRAGMENT = "packaging/cloudwatch/pwb-agent.login.example.json";
const site = (telemetry: string) => parseSiteText(exampleSiteText().replace(/\ntelemetry:[\s\S]*$/, "\n") + telemetry, "site.yaml");
const wants = (role: Role, telemetry: string, logGroup: string | null = LOG_GROUP): Resource[] => logsComponent.wants(factsFor(role), site(telemetry), { logGroup });
const ids = (rs: Resource[]) => rs.map((r) => ("path" in r ? `${r.kind}:${r.path}` : `${r.kind}:${(r as { label: string }).label}`));
const collected = (text: string) => (JSON.parse(text) as { logs: { logs_collected: { files: { collect_list: Array<{ file_path: string; log_stream_name: string; log_group_name: string }> } } } }).logs.logs_collected.files.collect_list;

describe("logs component", () => {
  it("declares nothing by default (CloudWatch and job records are the site's choice)", () => {
    for (const role of ["head", "login", "compute"] as const) expect(wants(role, "")).toEqual([]);
  });

  it("CloudWatch on: the fragment, appended once per content through ParallelCluster's agent, then the stamp", () => {
    const rs = wants("login", "telemetry: { cloudwatch: true }\n");
    const fragment = (rs[0] as { content: string }).content;
    expect(ids(rs)).toEqual([`file:${CW_FRAGMENT}`, "command:cloudwatch-append-config", `file:${appendedStamp(fragment)}`]);
    expect(rs[1]).toMatchObject({ argv: ["/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl", "-a", "append-config", "-m", "ec2", "-s", "-c", `file:${CW_FRAGMENT}`], creates: appendedStamp(fragment) });
    expect(collected(fragment).map((e) => [e.file_path, e.log_stream_name])).toEqual([
      ["/var/log/pwb-agent/runs.jsonl", "{ip_address}.{instance_id}.pwb-agent-runs"],
      ["/var/log/rstudio/rstudio-server/rserver.log", "{ip_address}.{instance_id}.rserver"],
      ["/var/log/rstudio/launcher/rstudio-launcher.log", "{ip_address}.{instance_id}.rstudio-launcher"],
      ["/var/log/rstudio/rstudio-server/rserver-http-access.log", "{ip_address}.{instance_id}.rserver-http-access"],
    ]);
    expect(new Set(collected(fragment).map((e) => e.log_group_name))).toEqual(new Set([LOG_GROUP]));
    // Another fragment, another stamp: the agent appends it again.
    const journald = wants("login", "telemetry: { cloudwatch: true, logging: { destination: journald } }\n");
    expect(collected((journald[0] as { content: string }).content).map((e) => e.file_path)).toEqual(["/var/log/pwb-agent/runs.jsonl", "/var/log/rstudio/rstudio-server/rserver-http-access.log"]);
    expect((journald[2] as { path: string }).path).not.toBe((rs[2] as { path: string }).path);
  });

  it("no log group from ParallelCluster (its CloudWatch logging off): no fragment", () => {
    expect(wants("login", "telemetry: { cloudwatch: true }\n", null)).toEqual([]);
  });

  it("job records on the head node only: the script slurmctld runs and a directory SlurmUser owns; CloudWatch ships them", () => {
    const head = wants("head", "telemetry: { cloudwatch: true, jobCompletion: { enabled: true } }\n");
    expect(ids(head)).toEqual(["dir:/var/log/pwb-agent", "dir:/var/log/pwb-agent/jobs", `file:${JOBCOMP_SCRIPT}`, `file:${CW_FRAGMENT}`, "command:cloudwatch-append-config", expect.stringMatching(/^file:\/var\/lib\/pwb-agent\/cloudwatch\/appended-[0-9a-f]{12}$/)]);
    expect(head[0]).toMatchObject({ owner: "root", mode: 0o755 }); // SlurmUser must reach its directory
    expect(head[1]).toMatchObject({ owner: "slurm", mode: 0o750 });
    expect(head[2]).toMatchObject({ mode: 0o755, owner: "root" });
    expect((head[2] as { content: string }).content).toContain("awk -v out='/var/log/pwb-agent/jobs/jobcomp.jsonl'");
    expect(collected((head[3] as { content: string }).content).map((e) => e.log_stream_name)).toEqual(["{ip_address}.{instance_id}.pwb-agent-runs", "{ip_address}.{instance_id}.slurm-jobcomp"]);
    expect(ids(wants("compute", "telemetry: { jobCompletion: { enabled: true } }\n"))).toEqual([]);
    expect(ids(wants("login", "telemetry: { jobCompletion: { enabled: true } }\n"))).toEqual([]);
  });

  it("the packaged example fragment is what a login node of the example site renders", () => {
    const text = cloudwatchFragment(site("telemetry: { cloudwatch: true }\n"), "login", LOG_GROUP);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(EXAMPLE_FRAGMENT, text);
    expect(text).toBe(readFileSync(EXAMPLE_FRAGMENT, "utf8"));
  });

  it("cluster-config render: job records add JobCompType/JobCompLoc to SlurmSettings.CustomSlurmSettings, and validate accepts it", () => {
    const input = parseClusterInput(readFileSync("cluster-config/templates/cluster-input.example.yaml", "utf8"), "input.yaml");
    const render = (s: ReturnType<typeof site>) => renderAll(buildRenderInput(s, input), { site: "s", input: "i" }).find((f) => f.path === "cluster.yaml")!.content;
    const on = render(site("telemetry: { jobCompletion: { enabled: true } }\n"));
    expect(on).toContain(`    CustomSlurmSettings:\n      - JobCompType: jobcomp/script\n      - JobCompLoc: ${JOBCOMP_SCRIPT}\n`);
    expect(validateClusterConfig(on, { version: parsePclusterVersion(input.pclusterVersion ?? "3.11")!, clusterName: "pwb" }).issues).toEqual([]);
    expect(render(site(""))).not.toContain("CustomSlurmSettings");
  });
});
