import { fail, ok, type CheckOutcome } from "./checks.js";

/** Where and as whom to log in to PostgreSQL. */
export interface DbTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  sslMode: string;
}

/** node-postgres has no sslmode: map libpq's to its `ssl` option (prefer/allow: try TLS only when asked). */
function sslOption(mode: string): boolean | { rejectUnauthorized: boolean } {
  switch (mode) {
    case "require":
      return { rejectUnauthorized: false };
    case "verify-ca":
    case "verify-full":
      return { rejectUnauthorized: true };
    default:
      return false;
  }
}

/**
 * Reachable AND accepting the credentials: a real login and one query through the PostgreSQL client
 * library, not a port probe. Messages name the server and user, never the password.
 */
export async function checkDatabase(t: DbTarget, timeoutMs = 5_000): Promise<CheckOutcome> {
  // The client class alone (see pg-client.d.ts), loaded on first use.
  const { default: Client } = await import("pg/lib/client.js");
  const where = `${t.host}:${t.port}/${t.database}`;
  const client = new Client({
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    password: t.password,
    ssl: sslOption(t.sslMode),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: "pwb-agent-doctor",
  });
  client.on("error", () => undefined); // a dropped connection after the check must not crash the process
  try {
    await client.connect();
    const res = await client.query<{ version: string }>("select current_setting('server_version') as version");
    return ok(`${where}: connected as ${t.user}, credentials accepted (PostgreSQL ${res.rows[0]?.version ?? "?"})`);
  } catch (e) {
    return fail(`${where}: ${explain(e, t)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function explain(e: unknown, t: DbTarget): string {
  const err = e as { code?: string; message?: string };
  switch (err.code) {
    case "28P01":
      return `reachable, but the server rejected the credentials for user "${t.user}" (password authentication failed)`;
    case "28000":
      return `reachable, but the server refused user "${t.user}" (no pg_hba.conf entry or role not allowed to log in)`;
    case "3D000":
      return `reachable, but database "${t.database}" does not exist (Workbench needs an empty database created for it)`;
    case "ECONNREFUSED":
      return "not reachable: connection refused (is PostgreSQL listening there, and does the security group allow this node?)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `not reachable: host name ${t.host} does not resolve`;
    case "ETIMEDOUT":
      return "not reachable: connection timed out (security group or routing?)";
    default:
      if (/timeout/i.test(err.message ?? "")) return "not reachable: no answer in time (security group or routing?)";
      return `${err.code ? `${err.code}: ` : ""}${err.message ?? String(e)}`;
  }
}
