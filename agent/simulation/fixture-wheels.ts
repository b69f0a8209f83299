import { createHash } from "node:crypto";

/**
 * Small stand-in Python wheels for the Jupyter packages the image installs. A wheel is a zip: the package's
 * modules plus `<name>-<version>.dist-info/{METADATA,WHEEL,entry_points.txt,RECORD}`; pip reads the
 * dependencies from METADATA and writes the console scripts that entry_points.txt names.
 */
export interface FixtureWheel {
  name: string;
  version: string;
  requires?: string[];
  /** console script name → "module:function". */
  scripts?: Record<string, string>;
  /** module path (e.g. "jupyter_core/command.py") → source. */
  modules: Record<string, string>;
}

export const wheelFileName = (w: FixtureWheel) => `${w.name}-${w.version}-py3-none-any.whl`;

export function buildWheel(w: FixtureWheel): Buffer {
  const info = `${w.name}-${w.version}.dist-info`;
  const files: Array<[string, Buffer]> = Object.entries(w.modules).map(([p, src]) => [p, Buffer.from(src)]);
  files.push([`${info}/METADATA`, Buffer.from(["Metadata-Version: 2.1", `Name: ${w.name}`, `Version: ${w.version}`, ...(w.requires ?? []).map((r) => `Requires-Dist: ${r}`), ""].join("\n"))]);
  files.push([`${info}/WHEEL`, Buffer.from("Wheel-Version: 1.0\nGenerator: pwb-agent-fixtures\nRoot-Is-Purelib: true\nTag: py3-none-any\n")]);
  if (w.scripts) files.push([`${info}/entry_points.txt`, Buffer.from(`[console_scripts]\n${Object.entries(w.scripts).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`)]);
  const digest = (b: Buffer) => createHash("sha256").update(b).digest("base64url");
  const record = files.map(([p, b]) => `${p},sha256=${digest(b)},${b.length}`).join("\n") + `\n${info}/RECORD,,\n`;
  files.push([`${info}/RECORD`, Buffer.from(record)]);
  return storedZip(files);
}

/**
 * The Jupyter stack as the image installs it: ipykernel, JupyterLab and Posit's pwb_jupyterlab, with
 * jupyter_core (which owns the `jupyter` command) pulled in as a dependency. `jupyter --version` lists
 * the installed versions as the real command does, read from the installed distributions' metadata.
 */
export const JUPYTER_WHEELS: FixtureWheel[] = [
  {
    name: "jupyter_core", version: "5.7.2", scripts: { jupyter: "jupyter_core.command:main" },
    modules: {
      "jupyter_core/__init__.py": "",
      "jupyter_core/command.py": [
        "import sys",
        "from importlib import metadata",
        "PACKAGES = ['ipykernel', 'jupyter_core', 'jupyterlab', 'pwb_jupyterlab']",
        "def main():",
        "    if '--version' not in sys.argv[1:]:",
        "        print('usage: jupyter [--version] [subcommand]', file=sys.stderr)",
        "        return 2",
        "    print('Selected Jupyter core packages...')",
        "    for name in PACKAGES:",
        "        try:",
        "            version = metadata.version(name)",
        "        except metadata.PackageNotFoundError:",
        "            version = 'not installed'",
        "        print(f'{name:<17}: {version}')",
        "    return 0",
        "",
      ].join("\n"),
    },
  },
  { name: "ipykernel", version: "6.29.5", requires: ["jupyter_core>=4.12"], modules: { "ipykernel/__init__.py": "__version__ = '6.29.5'\n" } },
  { name: "jupyterlab", version: "4.3.4", requires: ["jupyter_core", "ipykernel>=6.5"], scripts: { "jupyter-lab": "jupyterlab.labapp:main" }, modules: { "jupyterlab/__init__.py": "__version__ = '4.3.4'\n", "jupyterlab/labapp.py": "def main():\n    print('JupyterLab 4.3.4 (stand-in)')\n" } },
  { name: "pwb_jupyterlab", version: "1.0.16", requires: ["jupyterlab>=4"], modules: { "pwb_jupyterlab/__init__.py": "__version__ = '1.0.16'\n" } },
];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const byte of b) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip of uncompressed ("stored") entries: all a wheel needs, no zip tool or library. */
function storedZip(files: Array<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(0, 8);
    local.writeUInt32LE(0, 10); local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26); local.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0); dir.writeUInt16LE(0x031e, 4); dir.writeUInt16LE(20, 6); dir.writeUInt16LE(0x0800, 8); dir.writeUInt16LE(0, 10);
    dir.writeUInt32LE(0, 12); dir.writeUInt32LE(crc, 16); dir.writeUInt32LE(data.length, 20); dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(n.length, 28); dir.writeUInt32LE((0o100644 << 16) >>> 0, 38); dir.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    central.push(dir, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
