import { ExitCode } from "../errors.js";
import type { CommandState, FleetReport, Outcome } from "./types.js";

const LABEL: Record<Outcome, string> = {
  ok: "ok",
  "changes-pending": "CHANGES",
  failed: "FAILED",
  "timed-out": "TIMEOUT",
  "not-run": "NOT RUN",
  running: "RUNNING",
};

const BAD: ReadonlySet<Outcome> = new Set(["failed", "timed-out", "not-run", "running"]);

/**
 * 0 when every node succeeded; 1 when any failed, timed out, was not reached, or no node matched;
 * for plan, 10 when some node has changes pending and none failed (the agent's own contract).
 */
export function fleetExitCode(r: FleetReport): number {
  if (!r.instances.length || r.incomplete) return ExitCode.failure;
  if (r.instances.some((i) => BAD.has(i.outcome))) return ExitCode.failure;
  if (r.instances.some((i) => i.outcome === "changes-pending")) return ExitCode.changesPending;
  return ExitCode.ok;
}

export function renderFleetTable(r: FleetReport): string {
  const target = `${r.cluster}${r.role ? ` (${r.role} nodes)` : ""}`;
  if (!r.instances.length) {
    return `No instance ran \`${r.subcommand}\` for cluster ${target}: none is tagged for it, or none is SSM-managed (SSM Agent + AmazonSSMManagedInstanceCore). Command ${r.commandId}.\n`;
  }
  const rows = r.instances.map((i) => [i.instanceId, i.instanceName || "-", i.role ?? "-", LABEL[i.outcome], i.responseCode >= 0 ? String(i.responseCode) : "-", i.summary]);
  const head = ["INSTANCE", "NAME", "ROLE", "STATUS", "EXIT", "SUMMARY"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  const bad = r.instances.filter((i) => BAD.has(i.outcome)).length;
  const pending = r.instances.filter((i) => i.outcome === "changes-pending").length;
  const tail = [
    `${r.instances.length} instance${r.instances.length === 1 ? "" : "s"} ran \`pwb-agent ${r.subcommand}\` on ${target} in ${(r.durationMs / 1000).toFixed(1)} s`,
    bad ? `${bad} failed` : "",
    pending ? `${pending} with changes pending` : "",
    r.incomplete ? "the wait ran out before SSM finished" : "",
  ].filter(Boolean);
  return [line(head), ...rows.map(line), "", `${tail.join("; ")}. Command ${r.commandId}.`].join("\n") + "\n";
}

export function fleetJson(r: FleetReport): string {
  return JSON.stringify({ ...r, ok: fleetExitCode(r) === ExitCode.ok }, null, 2) + "\n";
}

/**
 * The progress line on stderr: rewritten in place on a terminal, one line per change otherwise
 * (so a CI log shows the steps without a line per poll).
 */
export function progressLine(stream: NodeJS.WriteStream, label: string): { update(s: CommandState, elapsedMs: number): void; end(): void } {
  let last = "";
  let drawn = false;
  return {
    update(s, elapsedMs) {
      const text = `${label}: ${s.completedCount}/${s.targetCount || "?"} done, ${s.errorCount} failed (${s.status})`;
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${text}, ${Math.round(elapsedMs / 1000)} s`);
        drawn = true;
      } else if (text !== last) {
        stream.write(`${text}\n`);
      }
      last = text;
    },
    end() {
      if (drawn) stream.write("\n");
    },
  };
}
