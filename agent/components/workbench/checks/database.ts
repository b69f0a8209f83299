import { check, fail, skipped, type Check, type CheckContext } from "../../../doctor/checks.js";
import { checkDatabase, type DbTarget } from "../../../doctor/database.js";
import { isLoopback } from "../../../doctor/system.js";
import { registerSecret } from "../../../log.js";
import type { SiteConfig } from "../../../site/types.js";
import { parseConfig, topLevel } from "../config/ini-read.js";
import { configFile } from "../paths.js";
import { MAX_SHARED_FILE_BYTES } from "../config/state.js";

/**
 * The connection Workbench itself will make, from the database.conf it reads: discrete keys or
 * connection-uri (+ password), with Workbench's defaults for what is left out.
 */
export function targetFromDatabaseConf(text: string): DbTarget {
  const keys = topLevel(parseConfig(text));
  const password = keys.get("password") ?? "";
  registerSecret(password);
  if ((keys.get("provider") ?? "sqlite") !== "postgresql") throw new Error(`provider is ${keys.get("provider") ?? "unset (sqlite)"}, expected postgresql`);
  const uri = keys.get("connection-uri");
  if (uri) {
    const u = new URL(uri);
    return {
      host: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port || 5432),
      database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "rstudio",
      user: decodeURIComponent(u.username) || "postgres",
      password: u.password ? decodeURIComponent(u.password) : password,
      sslMode: u.searchParams.get("sslmode") ?? "prefer",
    };
  }
  return {
    host: keys.get("host") ?? "localhost",
    port: Number(keys.get("port") ?? 5432),
    database: keys.get("database") ?? "rstudio",
    user: keys.get("username") ?? "postgres",
    password,
    sslMode: "prefer",
  };
}

/** The database as Workbench will use it: credentials from the shared database.conf. */
export function databaseCheck(ctx: CheckContext, site: SiteConfig): Check {
  return check("workbench.database", "database", async () => {
    const p = configFile(site, "database.conf");
    const text = await ctx.root.readText(p, { maxBytes: MAX_SHARED_FILE_BYTES }).catch(() => null);
    if (text === null) return fail(`${p} is missing: nothing to connect with`, "run `pwb-agent apply` on the head node");
    const target = targetFromDatabaseConf(text);
    // A simulated root is not this machine's node: only a database on this machine is contacted.
    if (!ctx.root.live && !isLoopback(target.host)) return skipped(`simulated root: ${target.host} is outside this machine, not contacted`);
    return checkDatabase(target);
  });
}
