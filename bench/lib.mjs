import { spawnSync } from "node:child_process";

/** Wall time of one process run, in ms. */
export function timeRun(argv, env = process.env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs the commands interleaved (a, b, c, a, b, c, …) so machine noise hits each alike. */
export function interleaved(commands, runs) {
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++) commands.forEach((argv, k) => times[k].push(timeRun(argv).ms));
  return times.map(median);
}

export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
