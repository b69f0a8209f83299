/** One file of the shared configuration directory, as the head node renders it. */
export interface SharedFile {
  /** File name inside the configuration directory. */
  name: string;
  content: string | Uint8Array;
  mode: number;
  /** Shown as <redacted> in plans; never logged. */
  secret: boolean;
}

export const plainFile = (name: string, content: string, mode = 0o644): SharedFile => ({ name, content, mode, secret: false });
