import { spawnSync } from "node:child_process";
import { existsSync, promises as fs, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { tempDir } from "./engine.js";

/** Debian keeps the server binaries per major version: /usr/lib/postgresql/<ver>/bin (newest first). */
export function findPostgresBin(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, "bin/initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install with  sudo apt-get install postgresql");
  return path.join(base, versions[0], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Postgres {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  stop(): Promise<void>;
}

function asPostgres(argv: string[], input?: string) {
  const r = spawnSync("runuser", ["-u", "postgres", "--", ...argv], { encoding: "utf8", input, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * A private PostgreSQL on 127.0.0.1 and a random free port, in its own temp data directory, run as
 * the postgres user: password (scram) authentication over TCP, a database and a role for Workbench.
 */
export async function startPostgres(o: { database?: string; user?: string; password?: string } = {}): Promise<Postgres> {
  if (process.getuid?.() !== 0) throw new Error("starting PostgreSQL as the postgres user needs root (runuser)");
  const bin = findPostgresBin();
  const dir = await tempDir("pwb-pg-");
  await fs.chmod(dir, 0o755);
  const data = path.join(dir, "data");
  await fs.mkdir(data);
  const pgUid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
  const pgGid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
  await fs.chown(data, pgUid, pgGid);
  await fs.chown(dir, pgUid, pgGid);
  const port = await freePort();
  asPostgres([`${bin}/initdb`, "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8"]);
  asPostgres([
    `${bin}/pg_ctl`, "-D", data, "-l", path.join(dir, "server.log"), "-w", "-t", "30",
    "-o", `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off`,
    "start",
  ]);
  const database = o.database ?? "pwb";
  const user = o.user ?? "pwb";
  const password = o.password ?? "pg-test-password-91ad";
  const sql = `CREATE ROLE "${user}" LOGIN PASSWORD '${password.replace(/'/g, "''")}';\nCREATE DATABASE "${database}" OWNER "${user}";\n`;
  asPostgres([`${bin}/psql`, "-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"], sql);
  return {
    host: "127.0.0.1",
    port,
    database,
    user,
    password,
    async stop() {
      spawnSync("runuser", ["-u", "postgres", "--", `${bin}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"], { timeout: 30_000 });
    },
  };
}
