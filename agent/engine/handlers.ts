import { archiveHandler } from "./resources/archive.js";
import { commandHandler } from "./resources/command.js";
import { downloadHandler } from "./resources/download.js";
import { fileHandler } from "./resources/file.js";
import { packageHandler } from "./resources/package.js";
import { packagesHandler } from "./resources/packages.js";
import { absentHandler, dirHandler, symlinkHandler } from "./resources/paths.js";
import { serviceHandler } from "./resources/service.js";
import type { Handler, Resource, ResourceKind } from "./types.js";

const HANDLERS: { [K in ResourceKind]: Handler<Extract<Resource, { kind: K }>> } = {
  file: fileHandler,
  dir: dirHandler,
  symlink: symlinkHandler,
  absent: absentHandler,
  package: packageHandler,
  service: serviceHandler,
  download: downloadHandler,
  command: commandHandler,
  packages: packagesHandler,
  archive: archiveHandler,
};

export function handlerFor(r: Resource): Handler {
  return HANDLERS[r.kind] as Handler;
}

/** The node path a resource owns, for the kinds that own one. */
export function pathOf(r: Resource): string | null {
  return "path" in r ? r.path : null;
}
