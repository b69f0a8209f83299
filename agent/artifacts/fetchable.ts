/** A file fetched over https:// or s3://, verified by sha256 before anything uses it. */
export interface Fetchable {
  /** Human name in messages: "r 4.4.1", "apptainer 1.3.4". */
  label: string;
  url: string;
  /**
   * The hex sha256, or where to look it up: an entry of a mirror's SHA256SUMS, read only when the
   * file must be fetched (a baked node never asks the mirror). `manifest: null` means no mirror.
   */
  sha256: string | { manifest: string | null; entry: string };
  /** Node path the verified file is kept at: a re-run hashes it and fetches nothing. */
  path: string;
}
