import { describe, expect, it } from "vitest";
import { unitsComponent, ALB_SYNC_TEXTFILE_DROP_IN } from "../../agent/components/units/index.js";
import type { Facts, Role } from "../../agent/facts/types.js";
import type { SiteConfig } from "../../agent/site/types.js";

const facts = (role: Role): Facts => ({
  role, roleSource: "dna.json",
  cluster: { name: "c1", region: "eu-west-1", queue: null, pool: null, headNodeIp: null, scheduler: "slurm", sharedStorageType: "efs" },
  instance: { id: null, type: null, region: null, availabilityZone: null, source: "none" },
  os: { id: "rocky", version: "9.4", major: 9, family: "rhel", supported: true, prettyName: null },
  cpus: 4, memoryMiB: 16000, gpu: null, sources: [],
});

const timer = (role: Role, site: SiteConfig | null) =>
  unitsComponent.wants(facts(role), site, undefined).find((r) => r.kind === "service" && r.name === "pwb-alb-sync.timer");

describe("units component", () => {
  it("enables the ALB sync timer on the head node only", () => {
    expect(timer("head", null)).toMatchObject({ enabled: true, active: true });
    expect(timer("login", null)).toMatchObject({ enabled: false, active: false });
    expect(timer("compute", null)).toMatchObject({ enabled: false, active: false });
  });

  it("keeps it off on a head node whose site has no Workbench ALB, on when it has one", () => {
    expect(timer("head", { alb: null } as unknown as SiteConfig)).toMatchObject({ enabled: false, active: false });
    expect(timer("head", { alb: { name: "pwb" }, telemetry: {} } as unknown as SiteConfig)).toMatchObject({ enabled: true, active: true });
  });

  it("enables pwb-agent.service on every role and never starts it from apply", () => {
    for (const role of ["head", "login", "compute"] as const) {
      const svc = unitsComponent.wants(facts(role), null, undefined).find((r) => r.kind === "service" && r.name === "pwb-agent.service");
      expect(svc).toMatchObject({ enabled: true, wantedBy: ["multi-user.target"] });
      expect(svc).not.toHaveProperty("active");
    }
  });

  it("runs self-registration (pwb-alb-self.service) on login nodes with a Workbench ALB only, started by apply", () => {
    const self = (role: Role, site: SiteConfig | null) =>
      unitsComponent.wants(facts(role), site, undefined).filter((r) => (r.kind === "service" && r.name === "pwb-alb-self.service") || (r.kind === "file" && r.path.endsWith("/pwb-alb-self.service")));
    expect(self("login", null)).toMatchObject([{ kind: "file", path: "/usr/lib/systemd/system/pwb-alb-self.service" }, { enabled: true, active: true, wantedBy: ["multi-user.target", "rstudio-server.service"] }]);
    expect(self("login", { alb: { name: "pwb" } } as unknown as SiteConfig)).toHaveLength(2);
    for (const [role, site] of [["login", { alb: null }], ["head", null], ["compute", null]] as const) {
      expect(self(role, site as unknown as SiteConfig | null)).toEqual([{ kind: "service", name: "pwb-alb-self.service", enabled: false, active: false }]);
    }
  });

  it("day one: a head node whose site alb: names the VPC, two subnets and the certificate runs alb ensure from apply", () => {
    const ensureUnit = (role: Role, alb: object | null) =>
      unitsComponent.wants(facts(role), { alb, telemetry: {} } as unknown as SiteConfig, undefined).filter((r) => (r.kind === "service" && r.name === "pwb-alb-ensure.service") || (r.kind === "file" && r.path.endsWith("/pwb-alb-ensure.service")));
    const complete = { vpcId: "vpc-0123456789abcdef0", subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"], certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc" };
    expect(ensureUnit("head", complete)).toMatchObject([{ kind: "file" }, { kind: "service", enabled: true, active: true, wantedBy: ["multi-user.target"] }]);
    const off = [{ kind: "service", name: "pwb-alb-ensure.service", enabled: false, active: false }];
    for (const partial of [{ ...complete, certificateArn: undefined }, { ...complete, subnets: [complete.subnets[0]] }, { ...complete, vpcId: undefined }]) expect(ensureUnit("head", partial)).toEqual(off);
    expect(ensureUnit("head", null)).toEqual(off);
    expect(ensureUnit("login", complete)).toEqual(off);
    expect(unitsComponent.wants(facts("head"), null, undefined).find((r) => r.kind === "service" && r.name === "pwb-alb-ensure.service")).toEqual(off[0]);
  });
});

describe("the sandboxed alb-sync's textfile directory", () => {
  const dropIn = (site: SiteConfig) => unitsComponent.wants(facts("head"), site, undefined).find((r) => "path" in r && r.path === ALB_SYNC_TEXTFILE_DROP_IN);

  it("a site's telemetry.textfileDirectory is made writable to it by a drop-in; without one the drop-in is absent", () => {
    const chosen = dropIn({ alb: { name: "pwb" }, telemetry: { textfileDirectory: "/srv/prom%1" } } as unknown as SiteConfig);
    expect(chosen).toMatchObject({ kind: "file", mode: 0o644 });
    // systemd reads % as a specifier: written doubled, it names the directory itself.
    expect((chosen as { content: string }).content).toContain("\nReadWritePaths=-/srv/prom%%1\n");
    expect((chosen as { content: string }).content).toContain("\nExecStartPre=+/bin/mkdir -p /srv/prom%%1\n");
    expect(dropIn({ alb: { name: "pwb" }, telemetry: {} } as unknown as SiteConfig)).toEqual({ kind: "absent", path: ALB_SYNC_TEXTFILE_DROP_IN });
  });
});
