import { readFileSync } from "node:fs";
import Ajv from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import { cloudwatchFragment } from "../../agent/components/logs/cloudwatch.js";
import type { Role } from "../../agent/facts/types.js";
import { parseSiteText } from "../../agent/site/load.js";
import { exampleSiteText } from "../helpers/workbench.js";

/*
 * The CloudWatch agent fragments judged by the agent's own schema (test/fixtures/cloudwatch-agent,
 * copied from aws/amazon-cloudwatch-agent), not by our expectations of them: a field it does not
 * know, a timezone it does not take, a stream name too long for it, all fail here.
 */

const schema = JSON.parse(readFileSync("test/fixtures/cloudwatch-agent/schema.json", "utf8")) as object;
// strict: false: the schema carries keywords of its own ("descriptions") that are not JSON Schema.
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
const LOG_GROUP = "/aws/parallelcluster/pwb-demo-202611301200";
const site = (telemetry: string) => parseSiteText(exampleSiteText().replace(/\ntelemetry:[\s\S]*$/, "\n") + telemetry, "site.yaml");

const TELEMETRY = [
  "telemetry: { cloudwatch: true }\n",
  "telemetry: { cloudwatch: true, logging: { destination: journald } }\n",
  "telemetry: { cloudwatch: true, accessLog: true }\n",
  "telemetry: { cloudwatch: true, jobCompletion: { enabled: true } }\n",
  "telemetry: { cloudwatch: true, accessLog: true, jobCompletion: { enabled: true, path: /var/log/slurm/jobs.jsonl } }\n",
];
const ROLES: Role[] = ["head", "login", "compute"];

describe("CloudWatch agent fragments against the agent's own schema", () => {
  const cases = ROLES.flatMap((role) => TELEMETRY.map((t) => [role, t.trim()] as const));
  it.each(cases)("%s with %s", (role, telemetry) => {
    const fragment = JSON.parse(cloudwatchFragment(site(telemetry + "\n"), role, LOG_GROUP)) as unknown;
    const ok = validate(fragment);
    expect(validate.errors ?? [], JSON.stringify(fragment)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the packaged example fragment is valid too", () => {
    expect(validate(JSON.parse(readFileSync("packaging/cloudwatch/pwb-agent.login.example.json", "utf8")))).toBe(true);
  });

  it("the schema is a real judge: it refuses what the agent would refuse", () => {
    const good = JSON.parse(cloudwatchFragment(site(TELEMETRY[0]!), "login", LOG_GROUP)) as { logs: { logs_collected: { files: { collect_list: Array<Record<string, unknown>> } } } };
    const entry = good.logs.logs_collected.files.collect_list[0]!;
    const bad = (change: Record<string, unknown>) => ({ logs: { logs_collected: { files: { collect_list: [{ ...entry, ...change }] } } } });
    expect(validate(bad({ timezone: "utc" }))).toBe(false);
    expect(validate(bad({ log_stream: "x" }))).toBe(false);
    expect(validate(bad({ log_group_name: "" }))).toBe(false);
    expect(validate({ logs: { logs_collected: { files: { collect_list: [] } } } })).toBe(false);
  });
});
