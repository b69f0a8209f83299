import type { SiteConfig } from "../../../site/types.js";
import { keyValueFile, type Entry } from "../config/ini-write.js";
import type { SharedFile } from "../config/file.js";

/**
 * database.conf (Posit admin guide, "Database"; keys as rstudio's ServerDatabase.cpp reads them).
 * libpq's default sslmode (prefer) uses the discrete keys; any other sslmode needs connection-uri,
 * the only place Workbench takes one. No comment header: the file holds nothing but settings. 0600.
 */
export function databaseConf(site: SiteConfig, password: string): SharedFile {
  const d = site.database;
  const entries: Entry[] = [["provider", "postgresql"]];
  if (d.sslMode === "prefer") {
    entries.push(["host", d.host], ["port", d.port], ["database", d.name], ["username", d.user]);
  } else {
    const host = d.host.includes(":") && !d.host.startsWith("[") ? `[${d.host}]` : d.host;
    entries.push(["connection-uri", `postgresql://${encodeURIComponent(d.user)}@${host}:${d.port}/${encodeURIComponent(d.name)}?sslmode=${d.sslMode}`]);
  }
  entries.push(["password", password]);
  return { name: "database.conf", content: keyValueFile(entries), mode: 0o600, secret: true };
}
