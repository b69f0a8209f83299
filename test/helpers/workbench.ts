import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import type { HeadInputs, LoginInputs } from "../../agent/components/workbench/inputs.js";
import { sharedFiles } from "../../agent/components/workbench/head/render.js";
import { buildManifest } from "../../agent/components/workbench/config/manifest.js";
import type { Facts, Role } from "../../agent/facts/types.js";
import { writeSimulatedCluster } from "../../agent/simulation/cluster.js";
import { parseSiteText } from "../../agent/site/load.js";
import type { SiteConfig } from "../../agent/site/types.js";
import { tempDir } from "./engine.js";

/** A minimal site: the one docs/site.md shows (test/unit/docs-paths.test.ts holds them equal). */
export const MINIMAL = `workbench:
  version: 2024.12.1+563.pro5
  url: https://workbench.example.com
database:
  host: pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com
  password: { ssm: /pwb/database/password }
alb:
  name: pwb-workbench
slurm:
  partitions: [{ name: interactive, instanceType: m6i.xlarge }]
`;

export const EXAMPLE_SITE_PATH = "cluster-config/site.example.yaml";

export function exampleSiteText(): string {
  return readFileSync(EXAMPLE_SITE_PATH, "utf8");
}

export function exampleSite(): SiteConfig {
  return parseSiteText(exampleSiteText(), EXAMPLE_SITE_PATH);
}

/** Fixed stand-ins for the secrets, so rendered files are the same on every run. Not real keys. */
export const FAKE = {
  password: "golden-test-password-4f1c",
  secureCookieKey: "0123456789abcdef0123456789abcdef\n",
  launcherPem: "-----BEGIN PRIVATE KEY-----\nFAKE-TEST-PRIVATE-KEY-NOT-A-KEY\n-----END PRIVATE KEY-----\n",
  launcherPub: "-----BEGIN PUBLIC KEY-----\nFAKE-TEST-PUBLIC-KEY-NOT-A-KEY\n-----END PUBLIC KEY-----\n",
};

export function headInputs(password = FAKE.password): HeadInputs {
  return {
    role: "head",
    databasePassword: password,
    keys: { secureCookieKey: FAKE.secureCookieKey, launcherPem: FAKE.launcherPem, launcherPub: FAKE.launcherPub },
  };
}

/** What a login node sees once the head node has rendered `site`. */
export function readyLoginInputs(site: SiteConfig, password = FAKE.password): LoginInputs {
  return { role: "login", shared: { ready: true, manifest: buildManifest(site, sharedFiles(site, headInputs(password))) } };
}

export function factsFor(role: Role): Facts {
  return {
    role,
    roleSource: "dna.json",
    cluster: { name: "pwb-demo", region: "eu-west-1", queue: null, pool: role === "login" ? "login" : null, headNodeIp: null, scheduler: "slurm", sharedStorageType: "efs" },
    instance: { id: null, type: null, region: "eu-west-1", availabilityZone: null, source: "none" },
    os: { id: "rocky", version: "9.4", major: 9, family: "rhel", supported: true, prettyName: null },
    cpus: 4,
    memoryMiB: 16384,
    gpu: null,
    sources: [],
  };
}

/** A minimal site for a simulated cluster: password from a root-only file on the head node. */
export function simSiteYaml(extra = ""): string {
  return [
    "workbench:",
    "  version: 2024.12.1+563.pro5",
    "  url: https://workbench.example.com",
    "  sharedConfigWaitSeconds: 0",
    "database:",
    "  host: 127.0.0.1",
    "  password: { file: /etc/pwb-agent/database-password }",
    "  sslMode: disable",
    "alb:",
    "  name: pwb-workbench",
    "slurm:",
    "  partitions: [{ name: interactive, instanceType: t3.xlarge }]",
    extra,
  ].join("\n");
}

export interface SimCluster {
  head: string;
  login: string;
  /** Shared storage both nodes mount: /opt/rstudio (EFS) and /home (FSx). */
  shared: string;
  siteFile: string;
}

/**
 * A head and a login node under two temp roots sharing /opt/rstudio and /home, with the Workbench
 * units installed (the same AMI), a root-only password file on the head, and the site both in each
 * node's /etc/pwb-agent/site.yaml and in `siteFile` (for --site).
 */
export async function simCluster(siteYaml = simSiteYaml(), password = FAKE.password): Promise<SimCluster> {
  const base = await tempDir("pwb-cluster-");
  const { head, login, shared } = await writeSimulatedCluster(base, { siteYaml, password });
  const siteFile = path.join(base, "site.yaml");
  await fs.writeFile(siteFile, siteYaml);
  return { head, login, shared, siteFile };
}
