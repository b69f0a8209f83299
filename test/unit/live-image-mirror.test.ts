import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script (also a CLI) without type declarations
import { aptMirrors } from "../live/image.mjs";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function etcApt(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "pwb-etc-apt-"));
  dirs.push(d);
  mkdirSync(path.join(d, "sources.list.d"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(d, name), text);
  return d;
}

describe("the test image's mirror is the one apt already uses", () => {
  it("from deb822 sources: the Debian archive and its security archive; disabled stanzas and other archives ignored", () => {
    const d = etcApt({
      "sources.list.d/other.sources": "Types: deb\nURIs: https://packages.example.test/apt\nSuites: stable\n",
      "sources.list.d/off.sources": "Enabled: no\nTypes: deb\nURIs: http://disabled.example.test/debian\nSuites: trixie\n",
      "sources.list.d/debian.sources": "Types: deb\nURIs: http://mirror.example.test/debian/\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example.test/debian-security\nSuites: bookworm-security\n",
    });
    expect(aptMirrors(d)).toEqual({ mirror: "http://mirror.example.test/debian", security: "http://mirror.example.test/debian-security" });
  });

  it("from a one-line sources.list, options included; none at all is an error that says why", () => {
    expect(aptMirrors(etcApt({ "sources.list": "# deb http://commented.example.test/debian bookworm main\ndeb [arch=amd64] http://local.example.test/pub/debian bookworm main\n" })))
      .toEqual({ mirror: "http://local.example.test/pub/debian", security: null });
    expect(() => aptMirrors(etcApt({}))).toThrow(/no Debian mirror/);
  });
});
