// ELBv2's in-place changes to a load balancer (SetSubnets, SetSecurityGroups), as AWS answers them for
// an Application Load Balancer: the new list replaces the old one; two subnets in two zones at least;
// every security group must exist. A scheme has no such call: AWS cannot change it.
import { AwsApiError, validation } from "./errors.js";
import { requireParam, type Handler } from "./elbv2-shared.js";

export const LOAD_BALANCER_CHANGES: Record<string, Handler> = {
  SetSubnets({ p, model }) {
    const lb = model.requireLoadBalancer(requireParam(p, "LoadBalancerArn"));
    const subnets = [...p.strings("Subnets.member"), ...p.list("SubnetMappings.member").map((m) => m.get("SubnetId") ?? "")];
    if (!subnets.length) throw validation("You must specify either subnets or subnet mappings");
    const bad = subnets.find((s) => !/^subnet-[0-9a-f]{8,17}$/.test(s));
    if (bad) throw new AwsApiError("SubnetNotFound", `The subnet ID '${bad}' is not valid`);
    if (lb.type === "application" && new Set(subnets).size < 2) {
      throw new AwsApiError("InvalidConfigurationRequest", "At least two subnets in two different Availability Zones must be specified");
    }
    lb.subnets = [...new Set(subnets)];
    return {
      AvailabilityZones: lb.subnets.map((s, i) => ({ ZoneName: `${lb.arn.split(":")[3]}${"abc"[i % 3]}`, SubnetId: s })),
      IpAddressType: lb.ipAddressType,
    };
  },

  SetSecurityGroups({ p, model }) {
    const lb = model.requireLoadBalancer(requireParam(p, "LoadBalancerArn"));
    const groups = p.strings("SecurityGroups.member");
    if (lb.type === "application" && !groups.length) throw validation("At least one security group must be specified for an Application Load Balancer");
    for (const g of groups) {
      if (!model.securityGroups.has(g)) throw new AwsApiError("InvalidSecurityGroup", `Security group '${g}' does not exist`);
    }
    lb.securityGroups = groups;
    return { SecurityGroupIds: groups };
  },
};
