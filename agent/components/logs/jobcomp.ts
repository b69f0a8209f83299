/** Where the head node keeps the job completion script slurmctld runs (JobCompLoc). */
export const JOBCOMP_SCRIPT = "/usr/local/lib/pwb-agent/jobcomp.sh";

/**
 * Slurm's jobcomp/script runs this once per finished job, as SlurmUser, with the job in its
 * environment (JOBID, JOBNAME, JOBSTATE, PARTITION, START, END, …). It appends one JSON object per line;
 * awk does the escaping, so a job name with quotes, backslashes or control characters stays one valid line.
 * One write per line with O_APPEND: concurrent runs never interleave.
 */
export function jobcompScript(recordsPath: string): string {
  return `#!/bin/sh
# Managed by pwb-agent (site telemetry.jobCompletion): Slurm JobCompType=jobcomp/script runs this per finished job.
# Appends the job as one JSON line to ${recordsPath}; never fails the controller (exit 0).
umask 027
awk -v out=${shellQuote(recordsPath)} 'function esc(s,  r, i, c, n) {
  r = ""; n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\\\\") r = r "\\\\\\\\"; else if (c == "\\"") r = r "\\\\\\"";
    else if (c == "\\n") r = r "\\\\n"; else if (c == "\\t") r = r "\\\\t"; else if (c == "\\r") r = r "\\\\r";
    else if (c < " ") r = r " ";
    else r = r c
  }
  return r
}
BEGIN {
  split("JOBID ARRAYJOBID ARRAYTASKID JOBNAME JOBSTATE PARTITION USERNAME UID GROUPNAME GID ACCOUNT NODES NODECNT PROCS SUBMIT START END WORKDIR EXITCODE DERIVED_EC BATCH", keys, " ")
  line = "{\\"record\\":\\"slurm-job\\""
  for (k = 1; k in keys; k++) if (keys[k] in ENVIRON && ENVIRON[keys[k]] != "") line = line ",\\"" tolower(keys[k]) "\\":\\"" esc(ENVIRON[keys[k]]) "\\""
  printf "%s}\\n", line >> out
  close(out)
}' </dev/null
exit 0
`;
}

/** Single quotes for a fixed path (the site validates it: absolute, no quotes or spaces). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}
