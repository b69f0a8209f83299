// Entry point of the bundle and the single executable: parse, run, exit with the command's code.
import { main } from "./program.js";

main(process.argv).then((code) => {
  process.exitCode = code;
});
