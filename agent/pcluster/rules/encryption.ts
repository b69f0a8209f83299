import { bool, str, type RuleContext } from "../context.js";

/** What ParallelCluster assumes when Encrypted is absent: EBS volumes encrypted, EFS not (cluster_config.py). */
const ENCRYPTED_BY_DEFAULT: Record<string, boolean> = { Ebs: true, Efs: false };

/**
 * KmsKeyIdEncryptedValidator (a KmsKeyId on a volume that is not encrypted) and
 * RootVolumeEncryptionConsistencyValidator (a warning when queues' root volumes differ in Encrypted,
 * which an encryption-enforcing SCP turns into a failed launch).
 */
export function checkEncryption(ctx: RuleContext): void {
  for (const item of ctx.root.get("SharedStorage").items()) {
    const type = str(item.get("StorageType"));
    if (type === undefined || !(type in ENCRYPTED_BY_DEFAULT)) continue;
    const settings = item.get(`${type}Settings`);
    const kms = settings.get("KmsKeyId");
    if (!kms.exists) continue;
    const encrypted = settings.get("Encrypted").exists ? bool(settings.get("Encrypted")) : ENCRYPTED_BY_DEFAULT[type];
    if (encrypted === false) {
      const why = settings.get("Encrypted").exists ? "Encrypted is false" : `${type} volumes are not encrypted unless Encrypted: true`;
      ctx.issues.error("kms-key-encrypted", kms, `${kms.where}: a KmsKeyId needs an encrypted file system (${why})`, "key");
    }
  }

  const queues = ctx.root.dig("Scheduling", "SlurmQueues").items();
  const encryptionOf = (q: (typeof queues)[number]) => {
    const v = q.dig("ComputeSettings", "LocalStorage", "RootVolume", "Encrypted");
    return v.exists ? bool(v) : true;
  };
  const first = queues[0];
  if (!first) return;
  const reference = encryptionOf(first);
  for (const queue of queues.slice(1)) {
    if (encryptionOf(queue) === reference) continue;
    const at = queue.dig("ComputeSettings", "LocalStorage", "RootVolume", "Encrypted");
    ctx.issues.warn("root-volume-encryption", at.exists ? at : queue, `${queue.where}: root volume Encrypted differs from ${first.where} (${String(reference)}): a policy that enforces encryption would stop some queues' nodes`, at.exists ? "value" : "key");
  }
}
