import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeSimulatedNode, type SimOs } from "./node.js";
import { WORKBENCH_UNITS } from "../components/workbench/paths.js";

/**
 * The demo's site config: a 10-line site, the database password in a root-only file on the head node.
 * The bake-and-boot lifecycle adds its mirror and image sections to the same site.
 */
export function demoSite(workbenchVersion: string): string {
  return `workbench:
  version: ${workbenchVersion}
  url: https://workbench.example.com
  sharedConfigWaitSeconds: 0
database:
  host: pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com
  password: { file: /etc/pwb-agent/database-password }
alb:
  name: pwb-workbench
slurm:
  partitions: [{ name: interactive, instanceType: m6i.xlarge }, { name: gpu, instanceType: g5.xlarge, gpus: { count: 1 } }]
`;
}

export const DEMO_SITE = demoSite("2024.12.1+563.pro5");


export interface SimulatedCluster {
  head: string;
  login: string;
  /** The shared file systems both nodes mount: /opt/rstudio (EFS) and /home (FSx for Lustre). */
  shared: string;
}

/**
 * A head node and a login node under `base`, as the same AMI boots them: /opt/rstudio and /home are
 * links into one shared directory (both nodes mount the same file systems, and /proc/mounts says
 * so), the Workbench units are installed, and /etc/pwb-agent/site.yaml holds `siteYaml`.
 */
export async function writeSimulatedCluster(base: string, o: { os?: SimOs; siteYaml?: string; password?: string } = {}): Promise<SimulatedCluster> {
  const cluster = { head: path.join(base, "head"), login: path.join(base, "login"), shared: path.join(base, "shared") };
  for (const dir of ["opt-rstudio", "home"]) await fs.mkdir(path.join(cluster.shared, dir), { recursive: true });
  for (const role of ["head", "login"] as const) {
    const root = cluster[role];
    await writeSimulatedNode(root, { role, os: o.os ?? "rocky9" });
    await writeWorkbenchUnits(root);
    await joinCluster(root, cluster.shared, o.siteYaml ?? DEMO_SITE);
  }
  await writeDatabasePassword(cluster.head, o.password);
  return cluster;
}

/** The database password in the head node's root-only file (the demo site reads it from there). */
export async function writeDatabasePassword(head: string, password?: string): Promise<void> {
  await fs.writeFile(path.join(head, "etc/pwb-agent/database-password"), (password ?? randomBytes(12).toString("hex")) + "\n", { mode: 0o600 });
}

/** Stand-ins for the Workbench package's unit files, on a node that was not baked. */
async function writeWorkbenchUnits(root: string): Promise<void> {
  await fs.mkdir(path.join(root, "usr/lib/systemd/system"), { recursive: true });
  for (const unit of WORKBENCH_UNITS) {
    await fs.writeFile(
      path.join(root, "usr/lib/systemd/system", unit),
      `[Unit]\nDescription=${unit} (simulated)\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n`,
    );
  }
}

/**
 * What every node of the cluster shares: /opt/rstudio (EFS) and /home (FSx) as links into one shared
 * directory, /proc/mounts saying so, and the site config at /etc/pwb-agent/site.yaml.
 */
export async function joinCluster(root: string, shared: string, siteYaml: string): Promise<void> {
  for (const dir of ["opt-rstudio", "home"]) await fs.mkdir(path.join(shared, dir), { recursive: true });
  await fs.mkdir(path.join(root, "opt"), { recursive: true });
  for (const [link, dir] of [["opt/rstudio", "opt-rstudio"], ["home", "home"]] as const) {
    await fs.rm(path.join(root, link), { recursive: true, force: true });
    await fs.symlink(path.join(shared, dir), path.join(root, link));
  }
  await fs.mkdir(path.join(root, "proc"), { recursive: true });
  await fs.writeFile(
    path.join(root, "proc/mounts"),
    "/dev/nvme0n1p1 / xfs rw 0 0\nfs-0123.efs.eu-west-1.amazonaws.com:/ /opt/rstudio nfs4 rw 0 0\n172.31.0.9@tcp:/fsx /home lustre rw 0 0\n",
  );
  await fs.mkdir(path.join(root, "etc/pwb-agent"), { recursive: true });
  await fs.writeFile(path.join(root, "etc/pwb-agent/site.yaml"), siteYaml, { mode: 0o640 });
}
