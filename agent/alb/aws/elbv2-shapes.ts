// ELBv2's SDK shapes to and from the few fields the agent uses, and the inputs that make a Workbench
// target group, health check and listener what they must be (the same on create and on repair).
import type * as Elbv2Sdk from "@aws-sdk/client-elastic-load-balancing-v2";

export interface TargetGroupInfo {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
  loadBalancerArns: string[];
  healthCheck: { protocol: string; port: string; path: string | null; intervalSeconds: number; matcher: string | null };
}

export interface LoadBalancerInfo {
  arn: string;
  name: string;
  type: string;
  scheme: string;
  dnsName: string;
  /** The ALB's own hosted zone, for a Route 53 alias to it. */
  canonicalHostedZoneId: string;
  vpcId: string;
  subnets: string[];
  securityGroups: string[];
}

export interface ListenerInfo {
  arn: string;
  port: number;
  protocol: string;
  certificates: string[];
  sslPolicy: string | null;
  forwardTo: string[];
  /** The default action's redirect, when it is one. */
  redirect: { protocol: string; port: string; statusCode: string } | null;
}

export function toTargetGroup(tg: Elbv2Sdk.TargetGroup): TargetGroupInfo {
  return {
    arn: tg.TargetGroupArn ?? "",
    name: tg.TargetGroupName ?? "",
    protocol: tg.Protocol ?? "",
    port: tg.Port ?? 0,
    vpcId: tg.VpcId ?? "",
    targetType: tg.TargetType ?? "",
    loadBalancerArns: tg.LoadBalancerArns ?? [],
    healthCheck: {
      protocol: tg.HealthCheckProtocol ?? "",
      port: tg.HealthCheckPort ?? "",
      path: tg.HealthCheckPath ?? null,
      intervalSeconds: tg.HealthCheckIntervalSeconds ?? 0,
      matcher: tg.Matcher?.HttpCode ?? null,
    },
  };
}

export function toLoadBalancer(lb: Elbv2Sdk.LoadBalancer): LoadBalancerInfo {
  return {
    arn: lb.LoadBalancerArn ?? "",
    name: lb.LoadBalancerName ?? "",
    type: lb.Type ?? "",
    scheme: lb.Scheme ?? "",
    dnsName: lb.DNSName ?? "",
    canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? "",
    vpcId: lb.VpcId ?? "",
    subnets: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId ?? "").filter(Boolean),
    securityGroups: lb.SecurityGroups ?? [],
  };
}

export function toListener(l: Elbv2Sdk.Listener): ListenerInfo {
  const redirect = (l.DefaultActions ?? []).find((a) => a.Type === "redirect");
  const forwardTo = (l.DefaultActions ?? []).flatMap((a) =>
    a.Type === "forward" ? (a.TargetGroupArn ? [a.TargetGroupArn] : (a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn ?? "")) : [],
  );
  return {
    arn: l.ListenerArn ?? "",
    port: l.Port ?? 0,
    protocol: l.Protocol ?? "",
    certificates: (l.Certificates ?? []).map((c) => c.CertificateArn ?? ""),
    sslPolicy: l.SslPolicy ?? null,
    forwardTo: [...new Set(forwardTo)],
    redirect: redirect?.RedirectConfig
      ? { protocol: redirect.RedirectConfig.Protocol ?? "", port: redirect.RedirectConfig.Port ?? "", statusCode: redirect.RedirectConfig.StatusCode ?? "" }
      : null,
  };
}

/** 5 s (AWS's default for HTTP), but always under the interval, as AWS requires. */
export const healthCheckTimeout = (intervalSeconds: number) => Math.max(2, Math.min(5, intervalSeconds - 1));

export const redirectAction = (httpsPort: number): Elbv2Sdk.Action => ({
  Type: "redirect",
  RedirectConfig: { Protocol: "HTTPS", Port: String(httpsPort), StatusCode: "HTTP_301" },
});

export interface HealthCheckSettings {
  path: string;
  matcher: string;
  intervalSeconds: number;
}

/** The health check as created and as corrected later: HTTP on the traffic port. */
export const healthCheckInput = (hc: HealthCheckSettings) => ({
  HealthCheckProtocol: "HTTP" as const,
  HealthCheckPort: "traffic-port",
  HealthCheckPath: hc.path,
  HealthCheckIntervalSeconds: hc.intervalSeconds,
  HealthCheckTimeoutSeconds: healthCheckTimeout(hc.intervalSeconds),
  Matcher: { HttpCode: hc.matcher },
});

/**
 * What every Workbench target group is, whatever the site says: HTTP to instances, health-checked, and
 * 2 passing/failing checks (AWS's least) so a new login node serves and a dead one leaves soonest.
 */
export const WORKBENCH_TARGET_GROUP = {
  Protocol: "HTTP",
  TargetType: "instance",
  HealthCheckEnabled: true,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 2,
} as const;

export interface HttpsListenerSettings {
  port: number;
  certificateArn: string;
  sslPolicy: string;
  targetGroupArn: string;
}

/** The HTTPS listener as created and as corrected later: the certificate, the policy, forward to Workbench. */
export const httpsListenerInput = (l: HttpsListenerSettings) => ({
  Protocol: "HTTPS" as const,
  Port: l.port,
  Certificates: [{ CertificateArn: l.certificateArn }],
  SslPolicy: l.sslPolicy,
  DefaultActions: [{ Type: "forward" as const, TargetGroupArn: l.targetGroupArn }],
});

