import type { WorkbenchKeys } from "../../secrets/keys.js";
import type { Manifest } from "./config/manifest.js";

export type { WorkbenchKeys };

/** Head: renders the shared configuration, so it needs the secret values. */
export interface HeadInputs {
  role: "head";
  databasePassword: string;
  keys: WorkbenchKeys;
}

/** What a login node found on shared storage. */
export type SharedConfigState = { ready: true; manifest: Manifest } | { ready: false; reason: string };

/** Login: never writes the shared configuration; it only needs to know it is complete, and what changed. */
export interface LoginInputs {
  role: "login";
  shared: SharedConfigState;
}

export interface ComputeInputs {
  role: "compute";
}

export type WorkbenchInputs = HeadInputs | LoginInputs | ComputeInputs;
