import agentService from "../../../units/pwb-agent.service";
import albSyncService from "../../../units/pwb-alb-sync.service";
import albSyncTimer from "../../../units/pwb-alb-sync.timer";
import doctorService from "../../../units/pwb-agent-doctor.service";
import doctorTimer from "../../../units/pwb-agent-doctor.timer";
import { parseInstallSection } from "../../engine/systemd.js";
import type { Resource } from "../../engine/types.js";
import type { Component } from "../types.js";

/** Same directory the rpm/deb put them in, so a packaged node and a bare binary agree. */
export const UNIT_DIR = "/usr/lib/systemd/system";

export const EMBEDDED_UNITS: Record<string, string> = {
  "pwb-agent.service": agentService,
  "pwb-alb-sync.service": albSyncService,
  "pwb-alb-sync.timer": albSyncTimer,
  "pwb-agent-doctor.service": doctorService,
  "pwb-agent-doctor.timer": doctorTimer,
};

function unitFile(name: string, notifies?: string[]): Resource {
  return { kind: "file", path: `${UNIT_DIR}/${name}`, content: EMBEDDED_UNITS[name]!, mode: 0o644, ...(notifies ? { notifies } : {}) };
}

function enabledUnit(name: string, active?: boolean): Resource {
  return {
    kind: "service",
    name,
    enabled: true,
    unitPath: `${UNIT_DIR}/${name}`,
    wantedBy: parseInstallSection(EMBEDDED_UNITS[name]!).wantedBy,
    ...(active === undefined ? {} : { active }),
  };
}

/**
 * The agent's own units. Every role re-converges at boot (pwb-agent.service, enabled but never
 * started from apply: it *is* apply) and runs doctor every 5 minutes (pwb-agent-doctor.timer). Only the head node runs the ALB sync timer, and only when the
 * site has a Workbench ALB; elsewhere it is kept disabled and stopped even when a package put its
 * unit files there.
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
        // A changed schedule only takes effect when the timer restarts.
        unitFile("pwb-alb-sync.timer", ["pwb-alb-sync.timer"]),
        enabledUnit("pwb-alb-sync.timer", true),
      );
    } else {
      resources.push({ kind: "service", name: "pwb-alb-sync.timer", enabled: false, active: false });
    }
    return resources;
  },
};
