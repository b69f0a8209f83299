// Every fast-check property runs from a known seed: FC_SEED when given (to replay a failure),
// otherwise a fixed one, so a run is reproducible. fast-check names the seed and the shrink path
// in every failure's message; rerun with FC_SEED=<seed> to get the same cases back.
import fc from "fast-check";

const fromEnv = process.env["FC_SEED"];
const seed = fromEnv === undefined || fromEnv === "" ? 20261208 : Number(fromEnv);
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(fromEnv)}`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
