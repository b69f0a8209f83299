import { describe, expect, it } from "vitest";
import { driverVersionOf, isNvidiaInstanceType } from "../../agent/facts/gpu.js";
import { countCpuList, memTotalMiB } from "../../agent/facts/hardware.js";
import { imdsSettings } from "../../agent/facts/imds.js";
import { osFromRelease } from "../../agent/facts/os.js";
import { parseShellVars, shellWords } from "../../agent/facts/shellvars.js";

describe("parseShellVars (cfnconfig as data)", () => {
  it("reads the cfnconfig shapes ParallelCluster writes", () => {
    const vars = parseShellVars(
      [
        "stack_name=pwb-demo",
        "cfn_preinstall=NONE",
        "cfn_preinstall_args=()",
        'cfn_postinstall="s3://bucket/hook.sh"',
        'cfn_postinstall_args=("apply" "--quiet" \'two words\')',
        "cfn_region=eu-west-1",
        "",
        "# a comment",
        "export cfn_node_type=ComputeFleet",
        "cfn_proxy='NONE'",
        "cfn_empty=",
        "this line is not an assignment",
      ].join("\n"),
    );
    expect(vars.get("stack_name")).toBe("pwb-demo");
    expect(vars.get("cfn_preinstall_args")).toEqual([]);
    expect(vars.get("cfn_postinstall")).toBe("s3://bucket/hook.sh");
    expect(vars.get("cfn_postinstall_args")).toEqual(["apply", "--quiet", "two words"]);
    expect(vars.get("cfn_node_type")).toBe("ComputeFleet");
    expect(vars.get("cfn_proxy")).toBe("NONE");
    expect(vars.get("cfn_empty")).toBe("");
    expect(vars.size).toBe(9);
  });

  it("never expands or executes anything", () => {
    const vars = parseShellVars('a=$(touch /tmp/pwned)\nb="$HOME/x"\nc=`id`\n');
    expect(vars.get("a")).toBe("$(touch");
    expect(vars.get("b")).toBe("$HOME/x");
    expect(vars.get("c")).toBe("`id`");
  });

  it("splits words like the shell: escapes, concatenation, comments, unclosed quotes", () => {
    expect(shellWords(String.raw`"a \"b\"" c\ d e'f'"g" # tail`)).toEqual(['a "b"', "c d", "efg"]);
    expect(shellWords('"unclosed value')).toEqual(["unclosed value"]);
    expect(shellWords("x#y")).toEqual(["x#y"]);
  });

  it("tolerates CRLF line ends", () => {
    expect(parseShellVars("cfn_node_type=HeadNode\r\ncfn_region=us-east-1\r\n").get("cfn_node_type")).toBe("HeadNode");
  });
});

describe("osFromRelease", () => {
  it("parses quoted and unquoted os-release values", () => {
    expect(osFromRelease('NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n')).toEqual({
      id: "rocky", version: "9.4", major: 9, family: "rhel", supported: true, prettyName: "Rocky Linux 9.4 (Blue Onyx)",
    });
    expect(osFromRelease("ID=amzn\nVERSION_ID=2023\n")).toMatchObject({ major: 2023, family: "rhel", supported: true });
    expect(osFromRelease("ID=ubuntu\nVERSION_ID=22.10\n")).toMatchObject({ family: "debian", supported: false });
    expect(osFromRelease("")).toMatchObject({ id: "unknown", major: null, family: null, supported: false });
  });

  it("gives the test node image (Debian 13 marked pwb-test-node) Ubuntu 24.04's package rules, never support; plain Debian stays Debian", () => {
    const debian13 = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\n';
    expect(osFromRelease(`${debian13}VARIANT="pwb-agent test node"\nVARIANT_ID="pwb-test-node"\n`)).toEqual({
      id: "ubuntu", version: "24.04", major: 24, family: "debian", supported: false, prettyName: "Debian GNU/Linux 13 (trixie), pwb-agent test node", testNode: true,
    });
    expect(osFromRelease(debian13)).toEqual({ id: "debian", version: "13", major: 13, family: "debian", supported: false, prettyName: "Debian GNU/Linux 13 (trixie)" });
    // The marker on another release is not the test image.
    expect(osFromRelease('ID=debian\nVERSION_ID="12"\nVARIANT_ID=pwb-test-node\n')).toMatchObject({ id: "debian", version: "12" });
  });
});

describe("hardware parsers", () => {
  it("counts kernel CPU lists", () => {
    expect(countCpuList("0-3,8-11\n")).toBe(8);
    expect(countCpuList("0-191")).toBe(192);
    expect(countCpuList("5")).toBe(1);
    expect(countCpuList("0-3,,5")).toBeNull();
    expect(countCpuList("a-b")).toBeNull();
  });
  it("reads MemTotal", () => {
    expect(memTotalMiB("MemTotal:        2048 kB\n")).toBe(2);
    expect(memTotalMiB("MemFree: 1 kB\n")).toBeNull();
  });
});

describe("GPU helpers", () => {
  it("reads the proprietary and the open kernel module version lines", () => {
    expect(driverVersionOf("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Sep 24 19:10:31 UTC 2024\n")).toBe("550.127.05");
    expect(driverVersionOf("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build  (dvs-builder@U16-I3-B03-4-3)\n")).toBe("570.86.15");
    expect(driverVersionOf("NVRM version: NVIDIA UNIX aarch64 Kernel Module  535.183.01  Sun May 12\n")).toBe("535.183.01");
    expect(driverVersionOf("garbage")).toBeNull();
  });

  it.each(["p3.2xlarge", "p3dn.24xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge",
    "p6-b200.48xlarge", "p6e-gb200.36xlarge", "g4dn.xlarge", "g5.2xlarge", "g5g.xlarge", "g6.xlarge", "g6e.xlarge", "gr6.4xlarge", "g6f.large", "G5.XLARGE"])(
    "%s is an NVIDIA instance type",
    (t) => expect(isNvidiaInstanceType(t)).toBe(true),
  );
  it.each(["g4ad.xlarge", "m6i.xlarge", "c7g.large", "inf2.xlarge", "trn1.2xlarge", "dl1.24xlarge", "f1.2xlarge", "garbage"])(
    "%s is not",
    (t) => expect(isNvidiaInstanceType(t)).toBe(false),
  );
});

describe("imdsSettings", () => {
  it("takes options over environment over defaults", () => {
    expect(imdsSettings({ enabled: true }, {})).toEqual({ enabled: true, endpoint: "http://169.254.169.254", budgetMs: 1000 });
    expect(imdsSettings({ enabled: true }, { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://[fd00:ec2::254]/" }).endpoint).toBe("http://[fd00:ec2::254]");
    expect(imdsSettings({ enabled: true, endpoint: "http://127.0.0.1:9//", budgetMs: 50 }, { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://x" })).toEqual({
      enabled: true, endpoint: "http://127.0.0.1:9", budgetMs: 50,
    });
    expect(imdsSettings({ enabled: true }, { AWS_EC2_METADATA_DISABLED: "TRUE" }).enabled).toBe(false);
    expect(imdsSettings({ enabled: true }, { AWS_EC2_METADATA_DISABLED: "false" }).enabled).toBe(true);
    expect(imdsSettings({ enabled: false }, {}).enabled).toBe(false);
  });
});
