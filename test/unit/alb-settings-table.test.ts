import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { resolveAlbSettings } from "../../agent/alb/settings.js";
import { ALB_SETTING_FLAGS } from "../../agent/alb/sources.js";
import { addAlbCommands, ensureSettingsFromFlags } from "../../agent/commands/alb.js";

function albProgram(): Command {
  const program = new Command("pwb-agent").exitOverride();
  addAlbCommands(program, () => {});
  return program;
}

const sub = (cmd: Command, name: string) => cmd.commands.find((c) => c.name() === name)!;
const longFlags = (cmd: Command) => cmd.options.map((o) => o.long);

describe("the ALB settings table", () => {
  it("gives `alb ensure` one flag per setting, and every ALB command the target group's two", () => {
    const program = albProgram();
    const alb = sub(program, "alb");
    const ensure = longFlags(sub(alb, "ensure"));
    expect(ensure).toEqual(expect.arrayContaining(Object.values(ALB_SETTING_FLAGS)));
    expect(new Set(ensure).size).toBe(ensure.length);
    for (const cmd of [sub(program, "alb-sync"), sub(alb, "self-register"), sub(alb, "self-deregister")]) {
      const flags = longFlags(cmd);
      expect([cmd.name(), flags]).toEqual([cmd.name(), expect.arrayContaining(["--target-group-name", "--target-port"])]);
      expect([cmd.name(), flags]).not.toEqual([cmd.name(), expect.arrayContaining(["--vpc-id"])]);
    }
  });

  it("reads parsed flags back into the settings they name, parsed and defaulted as before", () => {
    const ensure = sub(sub(albProgram(), "alb"), "ensure");
    ensure.parseOptions([
      "--vpc-id", "vpc-0123456789abcdef0", "--subnets", "subnet-11111111,subnet-22222222", "--subnets", "subnet-33333333",
      "--no-stickiness", "--health-check-interval", "30", "--target-security-groups", "sg-12345678", "--scheme", "internet-facing",
      "--alb-name", "wb", "--target-port", "8788", "--record-name", "workbench.example.com",
    ]);
    const input = ensureSettingsFromFlags(ensure.opts());
    const s = resolveAlbSettings("pwb-demo", input);
    expect(s).toMatchObject({
      vpcId: "vpc-0123456789abcdef0", subnets: ["subnet-11111111", "subnet-22222222", "subnet-33333333"], stickiness: false, httpRedirect: true,
      healthCheckIntervalSeconds: 30, targetSecurityGroupIds: ["sg-12345678"], scheme: "internet-facing", albName: "wb", targetPort: 8788,
      recordName: "workbench.example.com", listenerPort: 443, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(input.certificateArn).toBeUndefined();
  });

  it("names each setting's flag as the operator types it", () => {
    expect(ALB_SETTING_FLAGS).toMatchObject({ albName: "--alb-name", targetSecurityGroupIds: "--target-security-groups", stickiness: "--no-stickiness", healthCheckIntervalSeconds: "--health-check-interval" });
  });
});
