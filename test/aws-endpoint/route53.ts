// Route 53 (API version 2013-04-01) over its REST-XML protocol: hosted zones, and the two record
// calls `alb ensure` makes (ListResourceRecordSets, ChangeResourceRecordSets), with Route 53's paths,
// XML shapes, trailing-dot names and errors.
import { AwsApiError } from "./errors.js";
import { escapeXml } from "./protocol.js";

export const ROUTE53_PREFIX = "/2013-04-01/";
const NS = "https://route53.amazonaws.com/doc/2013-04-01/";

export interface AliasRecord {
  name: string;
  type: string;
  alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
  ttl?: number;
  values?: string[];
}

export interface HostedZone {
  id: string;
  name: string;
  records: Map<string, AliasRecord>;
}

/** Route 53 compares names without case and with the root's trailing dot. */
export const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();

export class Route53Model {
  readonly zones = new Map<string, HostedZone>();
  changes = 0;

  addZone(id: string, name: string): HostedZone {
    const z: HostedZone = { id, name: fqdn(name), records: new Map() };
    this.zones.set(id, z);
    return z;
  }

  record(zoneId: string, name: string, type: string): AliasRecord | undefined {
    return this.zones.get(zoneId)?.records.get(`${fqdn(name)} ${type}`);
  }
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
const tags = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1]!);

function zoneOf(model: Route53Model, id: string): HostedZone {
  const z = model.zones.get(id.replace(/^\/?hostedzone\//, ""));
  if (!z) throw new AwsApiError("NoSuchHostedZone", `No hosted zone found with ID: ${id}`, 404);
  return z;
}

function recordXml(r: AliasRecord): string {
  const alias = r.alias
    ? `<AliasTarget><HostedZoneId>${r.alias.hostedZoneId}</HostedZoneId><DNSName>${escapeXml(r.alias.dnsName)}</DNSName><EvaluateTargetHealth>${r.alias.evaluateTargetHealth}</EvaluateTargetHealth></AliasTarget>`
    : `<TTL>${r.ttl ?? 300}</TTL><ResourceRecords>${(r.values ?? []).map((v) => `<ResourceRecord><Value>${escapeXml(v)}</Value></ResourceRecord>`).join("")}</ResourceRecords>`;
  return `<ResourceRecordSet><Name>${escapeXml(r.name)}</Name><Type>${r.type}</Type>${alias}</ResourceRecordSet>`;
}

export interface Route53Answer {
  action: string;
  params: Record<string, unknown>;
  run: () => { status: number; body: string };
}

/** The Route 53 call a request is, or null when the path is not Route 53's. */
export function route53Request(model: Route53Model, method: string, url: URL, body: string): Route53Answer | null {
  const m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(url.pathname);
  if (!m) return null;
  const zoneId = decodeURIComponent(m[1]!);
  if (method === "GET") {
    const start = url.searchParams.get("name");
    const type = url.searchParams.get("type");
    const max = Number(url.searchParams.get("maxitems") ?? 300);
    return {
      action: "ListResourceRecordSets",
      params: { HostedZoneId: zoneId, StartRecordName: start, StartRecordType: type, MaxItems: max },
      run: () => {
        const z = zoneOf(model, zoneId);
        if (type && !start) throw new AwsApiError("InvalidInput", "The input is not valid: type requires name", 400);
        // Sorted as Route 53 lists them: by name, then type; listed from (name, type) on.
        const all = [...z.records.values()].sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name)));
        const from = start ? all.findIndex((r) => r.name > fqdn(start) || (r.name === fqdn(start) && (!type || r.type >= type))) : 0;
        const page = from < 0 ? [] : all.slice(from, from + max);
        const truncated = from >= 0 && from + max < all.length;
        const next = truncated ? all[from + max]! : null;
        return {
          status: 200,
          body:
            `<?xml version="1.0"?>\n<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${page.map(recordXml).join("")}</ResourceRecordSets>` +
            `<IsTruncated>${truncated}</IsTruncated>${next ? `<NextRecordName>${escapeXml(next.name)}</NextRecordName><NextRecordType>${next.type}</NextRecordType>` : ""}<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`,
        };
      },
    };
  }
  if (method === "POST") {
    const changes = tags(body, "Change").map((c) => {
      const set = tag(c, "ResourceRecordSet") ?? "";
      const alias = tag(set, "AliasTarget");
      return {
        action: tag(c, "Action") ?? "",
        record: {
          name: fqdn(tag(set, "Name") ?? ""),
          type: tag(set, "Type") ?? "",
          ...(alias
            ? { alias: { hostedZoneId: tag(alias, "HostedZoneId") ?? "", dnsName: fqdn(tag(alias, "DNSName") ?? ""), evaluateTargetHealth: tag(alias, "EvaluateTargetHealth") === "true" } }
            : { ttl: Number(tag(set, "TTL") ?? 300), values: tags(set, "Value") }),
        } as AliasRecord,
      };
    });
    return {
      action: "ChangeResourceRecordSets",
      params: { HostedZoneId: zoneId, Changes: changes.map((c) => `${c.action} ${c.record.name} ${c.record.type}`) },
      run: () => {
        const z = zoneOf(model, zoneId);
        if (!changes.length) throw new AwsApiError("InvalidChangeBatch", "ChangeBatch must contain at least one change", 400);
        for (const { action, record } of changes) {
          if (!record.name.endsWith(z.name)) {
            throw new AwsApiError("InvalidChangeBatch", `RRSet with DNS name ${record.name} is not permitted in zone ${z.name}`, 400);
          }
          const key = `${record.name} ${record.type}`;
          if (action === "CREATE" && z.records.has(key)) {
            throw new AwsApiError("InvalidChangeBatch", `Tried to create resource record set [name='${record.name}', type='${record.type}'] but it already exists`, 400);
          }
          if (action === "DELETE" && !z.records.has(key)) {
            throw new AwsApiError("InvalidChangeBatch", `Tried to delete resource record set [name='${record.name}', type='${record.type}'] but it was not found`, 400);
          }
          if (!["CREATE", "UPSERT", "DELETE"].includes(action)) throw new AwsApiError("InvalidInput", `Invalid action ${action}`, 400);
        }
        for (const { action, record } of changes) {
          const key = `${record.name} ${record.type}`;
          if (action === "DELETE") z.records.delete(key);
          else z.records.set(key, record);
        }
        model.changes += 1;
        return {
          status: 200,
          body: `<?xml version="1.0"?>\n<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/C${String(model.changes).padStart(12, "0")}</Id><Status>PENDING</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
        };
      },
    };
  }
  return null;
}

export function route53ErrorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
