import { describe, expect, it } from "vitest";
import { resolveAlbSources } from "../../agent/alb/sources.js";
import type { AlbSettingsInput } from "../../agent/alb/types.js";
import { parseSiteText } from "../../agent/site/load.js";
import { MINIMAL } from "../helpers/workbench.js";

/*
 * One rule per kind of ALB value: the site's `alb:` section and `alb ensure`'s flags refuse the same
 * bad value with the same words; the site's at file:line:column, the flag's under its name.
 */

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
const BASE: AlbSettingsInput = { vpcId: "vpc-0123456789abcdef0", subnets: ["subnet-11111111", "subnet-22222222"], certificateArn: CERT };

/** The site with `alb:` holding `key: yaml` on line 9 of the file. */
const siteWith = (key: string, yaml: string) => MINIMAL.replace("alb:\n  name: pwb-workbench\n", `alb:\n  name: pwb-workbench\n  ${key}: ${yaml}\n`);

function siteRefusal(key: string, yaml: string): { line: number; column: number; field: string; message: string } {
  try {
    parseSiteText(siteWith(key, yaml), "site.yaml");
  } catch (e) {
    const m = /site\.yaml:(\d+):(\d+): (alb\.[\w[\]]+): (.*)/.exec((e as Error).message);
    if (m) return { line: Number(m[1]), column: Number(m[2]), field: m[3]!, message: m[4]! };
    throw e;
  }
  throw new Error(`the site took ${key}: ${yaml}`);
}

function flagRefusal(input: AlbSettingsInput): { flag: string; message: string } {
  try {
    resolveAlbSources({ cluster: "pwb-demo", site: null, flags: { ...BASE, ...input }, purpose: "ensure", command: "alb ensure" });
  } catch (e) {
    const m = /\n {2}(--[\w-]+(?:\[\d+\])?): (.*)/.exec((e as Error).message);
    if (m) return { flag: m[1]!, message: m[2]! };
    throw e;
  }
  throw new Error(`the flags took ${JSON.stringify(input)}`);
}

const CASES: { what: string; key: string; yaml: string; input: AlbSettingsInput; field: string; column: number; flag: string; expected: RegExp }[] = [
  { what: "a certificate that is no ARN", key: "certificateArn", yaml: "arn:aws:acm:eu-west-1:123:cert", input: { certificateArn: "arn:aws:acm:eu-west-1:123:cert" }, field: "alb.certificateArn", column: 19, flag: "--certificate-arn", expected: /^expected an ACM certificate ARN/ },
  { what: "an S3 ARN as the certificate", key: "certificateArn", yaml: "arn:aws:s3:::bucket/key", input: { certificateArn: "arn:aws:s3:::bucket/key" }, field: "alb.certificateArn", column: 19, flag: "--certificate-arn", expected: /IAM server certificate ARN/ },
  { what: "CIDR 999.0.0.0/99", key: "ingressCidrs", yaml: "[999.0.0.0/99]", input: { ingressCidrs: ["999.0.0.0/99"] }, field: "alb.ingressCidrs[0]", column: 18, flag: "--ingress-cidrs[0]", expected: /^expected an IPv4 CIDR block/ },
  { what: "CIDR 10.0.0.0/33", key: "ingressCidrs", yaml: "[10.0.0.0/16, 10.0.0.0/33]", input: { ingressCidrs: ["10.0.0.0/16", "10.0.0.0/33"] }, field: "alb.ingressCidrs[1]", column: 31, flag: "--ingress-cidrs[1]", expected: /^expected an IPv4 CIDR block/ },
  { what: "CIDR with an octet of 256", key: "ingressCidrs", yaml: "[10.0.256.0/24]", input: { ingressCidrs: ["10.0.256.0/24"] }, field: "alb.ingressCidrs[0]", column: 18, flag: "--ingress-cidrs[0]", expected: /^expected an IPv4 CIDR block/ },
  { what: "a hosted zone path, not an id", key: "hostedZoneId", yaml: "/hostedzone/Z0123456789ABCDEFGHIJ\n  recordName: workbench.example.com", input: { hostedZoneId: "/hostedzone/Z0123456789ABCDEFGHIJ", recordName: "workbench.example.com" }, field: "alb.hostedZoneId", column: 17, flag: "--hosted-zone-id", expected: /^expected a Route 53 hosted zone id/ },
  { what: "a record name that is not DNS", key: "recordName", yaml: "not a name\n  hostedZoneId: Z0123456789ABCDEFGHIJ", input: { recordName: "not a name", hostedZoneId: "Z0123456789ABCDEFGHIJ" }, field: "alb.recordName", column: 15, flag: "--record-name", expected: /^expected a DNS name like workbench\.example\.com/ },
];

describe("one validator per kind of ALB value, site and flags alike", () => {
  for (const c of CASES) {
    it(`${c.what}: refused by the site at file:line:col and by the flag under its name, in the same words`, () => {
      const site = siteRefusal(c.key, c.yaml);
      const flag = flagRefusal(c.input);
      expect(site).toMatchObject({ line: 9, column: c.column, field: c.field });
      expect(flag.flag).toBe(c.flag);
      expect(site.message).toMatch(c.expected);
      expect(flag.message).toBe(site.message);
    });
  }

  it("takes what ELBv2 takes: an ACM certificate or an IAM server certificate, in any partition; CIDRs at the edges of their ranges", () => {
    const good: AlbSettingsInput[] = [
      { certificateArn: "arn:aws:iam::123456789012:server-certificate/workbench-rsa4096" },
      { certificateArn: "arn:aws:iam::123456789012:server-certificate/division/workbench_2026" },
      { certificateArn: "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc" },
      { ingressCidrs: ["0.0.0.0/0", "255.255.255.255/32", "10.0.0.0/8"] },
      { hostedZoneId: "Z0123456789ABCDEFGHIJ", recordName: "workbench.example.com." },
    ];
    for (const input of good) {
      expect(() => resolveAlbSources({ cluster: "pwb-demo", site: null, flags: { ...BASE, ...input }, purpose: "ensure", command: "alb ensure" })).not.toThrow();
      const site = Object.entries(input).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join("");
      expect(parseSiteText(MINIMAL.replace("alb:\n  name: pwb-workbench\n", `alb:\n${site}`), "site.yaml").alb).toMatchObject(input);
    }
  });

  it("blames a value the site set on the site key, a value the flags set on the flag", () => {
    const site = parseSiteText(siteWith("subnets", "[subnet-11111111]"), "site.yaml");
    const resolve = (flags: AlbSettingsInput) => () => resolveAlbSources({ cluster: "pwb-demo", site, flags, purpose: "ensure", command: "alb ensure" });
    expect(resolve({ vpcId: BASE.vpcId!, certificateArn: CERT })).toThrow(/\n {2}site alb\.subnets: at least two subnets/);
    expect(resolve({ vpcId: BASE.vpcId!, certificateArn: CERT, subnets: ["subnet-11111111"] })).toThrow(/\n {2}--subnets: at least two subnets/);
    expect(resolve({ vpcId: BASE.vpcId!, certificateArn: CERT, ingressCidrs: ["10.0.0.0/33"], subnets: BASE.subnets! })).toThrow(/\n {2}--ingress-cidrs\[0\]: expected an IPv4 CIDR/);
  });
});
