// The Route 53 calls of `alb ensure`: read one record, upsert an alias to the ALB.
import type * as Route53Sdk from "@aws-sdk/client-route-53";
import { loadRoute53, SdkAdapter, type ApiCallStats, type AwsClientOptions } from "./sdk.js";

export interface AliasInfo {
  /** The alias target's DNS name without the trailing dot, lower case; null: a plain record, not an alias. */
  dnsName: string | null;
  hostedZoneId: string | null;
}

/** Route 53 answers names with the root's trailing dot, in lower case. */
export const dnsKey = (name: string) => name.replace(/\.$/, "").toLowerCase();

export class Route53 extends SdkAdapter<typeof Route53Sdk, Route53Sdk.Route53Client> {
  static async open(o: AwsClientOptions, stats: ApiCallStats, signal?: AbortSignal): Promise<Route53> {
    const { sdk, client } = await loadRoute53(o, stats);
    return new Route53(sdk, client, signal);
  }

  /** The A record `name` in the zone, or null. ListResourceRecordSets lists from (name, type) on: one item suffices. */
  async aRecord(zoneId: string, name: string): Promise<AliasInfo | null> {
    const out = await this.send<Route53Sdk.ListResourceRecordSetsCommandOutput>(
      new this.sdk.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: "A", MaxItems: 1 }),
    );
    const r = out.ResourceRecordSets?.[0];
    if (!r || dnsKey(r.Name ?? "") !== dnsKey(name) || r.Type !== "A") return null;
    return { dnsName: r.AliasTarget?.DNSName ? dnsKey(r.AliasTarget.DNSName) : null, hostedZoneId: r.AliasTarget?.HostedZoneId ?? null };
  }

  /** UPSERT `name` as an A alias to the ALB (evaluating the ALB's target health). */
  async upsertAlias(zoneId: string, name: string, target: { dnsName: string; hostedZoneId: string }): Promise<void> {
    await this.send(
      new this.sdk.ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: "Posit Workbench ALB (pwb-agent alb ensure)",
          Changes: [{
            Action: "UPSERT",
            ResourceRecordSet: { Name: name, Type: "A", AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: true } },
          }],
        },
      }),
    );
  }
}
