import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Root } from "../nodefs/root.js";
import type { CommandRunner } from "../engine/runner.js";
import { notFoundMessage, unitState } from "../engine/systemctl.js";
import { mountHolding, readMountPoints } from "../nodefs/mounts.js";
import { fail, ok, skipped, type CheckOutcome } from "./checks.js";

export const SIMULATED = "simulated root: not checked on this machine";

/** 127.0.0.0/8, ::1 and localhost: what a simulated root may contact. */
export const isLoopback = (host: string) => /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || host === "localhost";

/** A command's output, shortened for a check's detail. */
export const firstLine = (s: string) => s.trim().split("\n")[0]?.slice(0, 200) ?? "";

/** `systemctl is-active`: on a simulated root systemd is not this node's, so nothing is claimed. */
export async function checkServiceActive(root: Root, runner: CommandRunner, unit: string, want: boolean): Promise<CheckOutcome> {
  if (!root.live) return skipped(SIMULATED);
  const res = await runner.run(["systemctl", "is-active", unit]);
  const state = res.stdout.trim() || `exit ${res.code}`;
  if (res.code !== 0) {
    // systemd calls a unit it has no file for "inactive" too: say what it is.
    const load = await unitState(root, runner, unit);
    if (load?.loadState === "not-found") return want ? fail(`not installed: ${notFoundMessage(unit)}`) : ok("not installed");
  }
  const active = res.code === 0;
  if (active === want) return ok(state);
  return fail(want ? `${state}: expected active (journalctl -u ${unit})` : `${state}: expected inactive on this role`);
}

/** An HTTP endpoint answering; `expectOk` also wants a 2xx (health-check), else any HTTP answer will do. */
export async function checkHttp(url: string, expectOk: boolean, timeoutMs = 3_000): Promise<CheckOutcome> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    const body = (await res.text()).trim().split("\n")[0]?.slice(0, 120) ?? "";
    if (expectOk && !res.ok) return fail(`${url}: HTTP ${res.status}`);
    return ok(`${url}: HTTP ${res.status}${body ? ` (${body})` : ""}`);
  } catch (e) {
    const err = e as { name?: string; cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError") return fail(`${url}: no answer within ${timeoutMs / 1000} s`);
    return fail(`${url}: ${err.cause?.code ?? err.cause?.message ?? (e as Error).message}`);
  }
}

/**
 * Shared storage is mounted (the path or a parent other than / is a mount point: not the root disk
 * by accident) and writable (a probe file is created, synced and removed in `probeDir`).
 */
export async function checkSharedStorage(root: Root, mountPath: string, probeDir: string): Promise<CheckOutcome> {
  const mountedAt = mountHolding((await readMountPoints(root)) ?? [], mountPath);
  if (!mountedAt) return fail(`${mountPath} is not on a mounted file system (only / holds it): shared storage not mounted`);
  const probe = path.posix.join(probeDir, `.pwb-doctor-${process.pid}-${randomBytes(3).toString("hex")}`);
  try {
    await root.writeNew(probe, "pwb-agent doctor write probe\n", { mode: 0o600 });
    await root.remove(probe);
  } catch (e) {
    return fail(`${probeDir} on ${mountedAt} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return ok(`${mountPath} mounted (${mountedAt}), ${probeDir} writable`);
}
