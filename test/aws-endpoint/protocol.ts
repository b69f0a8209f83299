// Wire formats: awsQuery (ELBv2), ec2Query (EC2), awsJson1_1 (SSM). Requests are parsed into
// flat key/value maps; responses are built from plain objects, so handlers never touch XML.

export const ELBV2_VERSION = "2015-12-01";
export const EC2_VERSION = "2016-11-15";
export const ELBV2_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
export const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** Query parameters of one request (`Targets.member.1.Id` → "i-1"). */
export class QueryParams {
  constructor(readonly raw: Map<string, string>) {}

  static parse(body: string): QueryParams {
    return new QueryParams(new Map(new URLSearchParams(body)));
  }

  get(key: string): string | undefined {
    return this.raw.get(key);
  }

  int(key: string): number | undefined {
    const v = this.raw.get(key);
    return v === undefined ? undefined : Number(v);
  }

  bool(key: string): boolean | undefined {
    const v = this.raw.get(key);
    return v === undefined ? undefined : v === "true";
  }

  /**
   * The members of a list, in index order: `Names.member.1`, `Names.member.2` (prefix "Names.member")
   * or EC2's `InstanceId.1` (prefix "InstanceId"). Each member is a QueryParams of its sub-keys;
   * a scalar member has its value under "".
   */
  list(prefix: string): QueryParams[] {
    const groups = new Map<number, Map<string, string>>();
    const head = `${prefix}.`;
    for (const [k, v] of this.raw) {
      if (!k.startsWith(head)) continue;
      const rest = k.slice(head.length);
      const dot = rest.indexOf(".");
      const index = Number(dot === -1 ? rest : rest.slice(0, dot));
      if (!Number.isInteger(index)) continue;
      const sub = dot === -1 ? "" : rest.slice(dot + 1);
      let g = groups.get(index);
      if (!g) groups.set(index, (g = new Map()));
      g.set(sub, v);
    }
    return [...groups.entries()].sort(([a], [b]) => a - b).map(([, g]) => new QueryParams(g));
  }

  /** Scalar list values (`Names.member.N`). */
  strings(prefix: string): string[] {
    return this.list(prefix).map((m) => m.get("") ?? "");
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.raw);
  }
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}

export type XmlValue = string | number | boolean | Date | null | undefined | XmlValue[] | { [k: string]: XmlValue };

/**
 * Serializes a plain object as XML elements. Arrays become `<Key><member>…</member></Key>` (awsQuery)
 * or `<key><item>…</item></key>` (ec2Query); an empty array is an empty element (the SDK reads it
 * as []), undefined and null are left out (the SDK reads them as absent).
 */
export function toXml(value: XmlValue, listItem: "member" | "item"): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<${listItem}>${toXml(v, listItem)}</${listItem}>`).join("");
  if (typeof value === "object") {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => {
        const inner = toXml(v, listItem);
        return inner === "" ? `<${k}/>` : `<${k}>${inner}</${k}>`;
      })
      .join("");
  }
  return escapeXml(String(value));
}

export function elbv2Response(action: string, result: Record<string, XmlValue>, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ELBV2_NS}">` +
    `<${action}Result>${toXml(result, "member")}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function elbv2Error(code: string, message: string, type: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${ELBV2_NS}">` +
    `<Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** EC2 has no Result wrapper and carries requestId as the first child. */
export function ec2Response(action: string, result: Record<string, XmlValue>, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}">` +
    `<requestId>${requestId}</requestId>${toXml(result, "item")}</${action}Response>`
  );
}

export function ec2Error(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
  );
}

/** Opaque pagination tokens: the offset of the next item, base64 so clients treat it as opaque. */
export const encodeToken = (offset: number) => Buffer.from(`offset:${offset}`).toString("base64");

export function decodeToken(token: string | undefined): number | null {
  if (token === undefined || token === "") return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"));
  return m ? Number(m[1]) : null;
}
