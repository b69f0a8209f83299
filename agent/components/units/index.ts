import agentService from "../../../units/pwb-agent.service";
import albEnsureService from "../../../units/pwb-alb-ensure.service";
import albSelfService from "../../../units/pwb-alb-self.service";
import albSyncService from "../../../units/pwb-alb-sync.service";
import albSyncTimer from "../../../units/pwb-alb-sync.timer";
import doctorService from "../../../units/pwb-agent-doctor.service";
import doctorTimer from "../../../units/pwb-agent-doctor.timer";
import { siteAlbComplete } from "../../alb/sources.js";
import { ADMIN_UNIT_DIR, parseInstallSection, VENDOR_UNIT_DIR } from "../../engine/systemd.js";
import type { Resource } from "../../engine/types.js";
import type { Component } from "../types.js";

export const EMBEDDED_UNITS: Record<string, string> = {
  "pwb-agent.service": agentService,
  "pwb-alb-sync.service": albSyncService,
  "pwb-alb-sync.timer": albSyncTimer,
  "pwb-alb-self.service": albSelfService,
  "pwb-alb-ensure.service": albEnsureService,
  "pwb-agent-doctor.service": doctorService,
  "pwb-agent-doctor.timer": doctorTimer,
};

function unitFile(name: string, notifies?: string[]): Resource {
  return { kind: "file", path: `${VENDOR_UNIT_DIR}/${name}`, content: EMBEDDED_UNITS[name]!, mode: 0o644, ...(notifies ? { notifies } : {}) };
}

/** Where the sandboxed alb-sync may write a textfile directory the site chose (the unit lists the conventional ones). */
export const ALB_SYNC_TEXTFILE_DROP_IN = `${ADMIN_UNIT_DIR}/pwb-alb-sync.service.d/textfile-directory.conf`;

function albSyncTextfileDropIn(dir: string | undefined): Resource {
  if (!dir) return { kind: "absent", path: ALB_SYNC_TEXTFILE_DROP_IN };
  const escaped = dir.replace(/%/g, "%%"); // systemd reads % as a specifier
  const content = `# Written by pwb-agent apply: the site's telemetry.textfileDirectory.\n[Service]\nExecStartPre=+/bin/mkdir -p ${escaped}\nReadWritePaths=-${escaped}\n`;
  return { kind: "file", path: ALB_SYNC_TEXTFILE_DROP_IN, content, mode: 0o644 };
}

function enabledUnit(name: string, active?: boolean): Resource {
  return {
    kind: "service",
    name,
    enabled: true,
    unitPath: `${VENDOR_UNIT_DIR}/${name}`,
    wantedBy: parseInstallSection(EMBEDDED_UNITS[name]!).wantedBy,
    ...(active === undefined ? {} : { active }),
  };
}

/**
 * The agent's own units. Every role re-converges at boot (pwb-agent.service, enabled but never
 * started from apply: it *is* apply) and runs doctor every 5 minutes (pwb-agent-doctor.timer). Only
 * the head node runs the ALB sync timer, and only login nodes register themselves
 * (pwb-alb-self.service), both only when the site has a Workbench ALB; elsewhere they are kept
 * disabled and stopped even when a package put their unit files there.
 */
export const unitsComponent: Component = {
  name: "units",
  roles: ["head", "login", "compute"],
  wants(facts, site) {
    const resources: Resource[] = [
      unitFile("pwb-agent.service"),
      enabledUnit("pwb-agent.service"),
      // Every role: doctor every 5 minutes keeps the node's verdicts (metrics) current.
      unitFile("pwb-agent-doctor.service"),
      unitFile("pwb-agent-doctor.timer", ["pwb-agent-doctor.timer"]),
      enabledUnit("pwb-agent-doctor.timer", true),
    ];
    // A site without an `alb:` section has no Workbench ALB to sync; without a site, keep the default.
    const syncsAlb = site === null || site.alb !== null;
    if (facts.role === "head" && syncsAlb) {
      resources.push(
        unitFile("pwb-alb-sync.service"),
        albSyncTextfileDropIn(site?.telemetry.textfileDirectory),
        // A changed schedule only takes effect when the timer restarts.
        unitFile("pwb-alb-sync.timer", ["pwb-alb-sync.timer"]),
        enabledUnit("pwb-alb-sync.timer", true),
      );
    } else {
      resources.push({ kind: "service", name: "pwb-alb-sync.timer", enabled: false, active: false });
    }
    // Day one: a site whose alb: section is complete gets its ALB from apply, not from a hand-run ensure.
    if (facts.role === "head" && site?.alb && siteAlbComplete(facts.cluster.name, site.alb)) {
      resources.push(unitFile("pwb-alb-ensure.service"), enabledUnit("pwb-alb-ensure.service", true));
    } else {
      resources.push({ kind: "service", name: "pwb-alb-ensure.service", enabled: false, active: false });
    }
    if (facts.role === "login" && syncsAlb) {
      resources.push(unitFile("pwb-alb-self.service"), enabledUnit("pwb-alb-self.service", true));
    } else {
      resources.push({ kind: "service", name: "pwb-alb-self.service", enabled: false, active: false });
    }
    return resources;
  },
};
