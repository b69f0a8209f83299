// Stand-ins for Workbench's two services and a login node's site, shared by the owed-work tests under
// a booted systemd (over the host's /usr, and on the test node image). Named stand-ins: Workbench
// itself cannot be installed in tests.
export const SERVER = "rstudio-server.service";
export const LAUNCHER = "rstudio-launcher.service";
export const SITE = "/etc/pwb-agent/site.yaml";
/** The stand-in's start fails once while this exists (ExecStartPre removes it and exits 1): a real transient failure. */
export const FAIL_ONCE = "/run/standin-fail-once";
/** While this exists the launcher's start waits (ExecStartPre loops): the agent is held inside `try-restart` of it. */
export const HOLD = "/run/standin-hold";

/** A stand-in for a Workbench service: sleeps; its start can be made to fail once or to wait. */
export function standIn(name: string): string {
  return [
    "[Unit]",
    `Description=Stand-in for ${name} (test: sleeps)`,
    "[Service]",
    `ExecStartPre=/bin/sh -c 'if [ -e ${FAIL_ONCE}.${name} ]; then rm -f ${FAIL_ONCE}.${name}; echo "stand-in ${name}: failing this start once"; exit 1; fi; while [ -e ${HOLD}.${name} ]; do sleep 0.1; done'`,
    "ExecStart=/bin/sleep infinity",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** A site for a login node; `gen` changes the shared configuration's directory, so both drop-ins change. */
export function site(gen: number): string {
  return [
    "workbench:",
    "  version: 2024.12.1+563.pro5",
    "  url: https://workbench.example.com",
    "  sharedConfigWaitSeconds: 0",
    "database:",
    "  host: 127.0.0.1",
    "  password: { file: /etc/pwb-agent/database-password }",
    "slurm:",
    "  partitions: [{ name: interactive, instanceType: t3.xlarge }]",
    "storage:",
    `  workbench: /opt/rstudio${gen ? String(gen) : ""}`,
    "",
  ].join("\n");
}
