import { boolean, strictObject, string, type output } from "zod";
import { absentAsNull, downloadUrl, expected, fileName, sha256Hex } from "../fields.js";

/*
 * cuda: — NVIDIA software for compute nodes whose facts say "NVIDIA GPU". Nothing here touches a node
 * without one. What the node already has is kept: official ParallelCluster AMIs ship the driver and a
 * CUDA toolkit (installed from NVIDIA's runfiles, not packages), so the agent installs only what is missing.
 *
 *   cuda:
 *     driver: true                  # install driverPackage when the node has no NVIDIA driver
 *     driverPackage: cuda-drivers   # or nvidia-open (open kernel modules)
 *     toolkit: "12.4"               # install cuda-toolkit-12-4 unless /usr/local/cuda-12.4 exists; omit: keep the AMI's
 *     cudnn: false                  # cuDNN 9 for the toolkit's CUDA major (cudnn9-cuda-12) unless present
 *     repo:                         # default: NVIDIA's repository for the node's OS, or <mirror.url>/cuda/<os>/
 *                                   # (an s3:// mirror: its snapshot <mirror>/cuda/<os>/x86_64/repo.tar.gz, read from local disk)
 *       url: https://developer.download.nvidia.com/compute/cuda/repos/rhel9/x86_64/
 *       keySha256: 1a2b…            # sha256 of the repository's signing key file; needed to install anything
 *       keyFile: D42D0685.pub       # default: NVIDIA's key file name for that OS
 */
export const cudaSection = strictObject({
  driver: boolean(expected("true or false")).default(true),
  driverPackage: fileName.default("cuda-drivers"),
  toolkit: absentAsNull(string(expected('a CUDA version like "12.4"')).regex(/^\d+\.\d+$/, expected('a CUDA major.minor version like "12.4" (quoted)'))),
  cudnn: boolean(expected("true or false")).default(false),
  repo: strictObject({
      url: absentAsNull(downloadUrl),
      keySha256: absentAsNull(sha256Hex),
      keyFile: absentAsNull(fileName),
    })
    .prefault({}),
});

export type CudaSite = output<typeof cudaSection>;
