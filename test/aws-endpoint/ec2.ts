// EC2 (API version 2016-11-15) over ec2Query: instances, security groups, VPCs, tags.
import { AwsApiError } from "./errors.js";
import { INSTANCE_STATE_CODES, type AwsModel, type IpPermission, type SecurityGroup } from "./model.js";
import { paginate, type ListShaping } from "./paging.js";
import type { QueryParams, XmlValue } from "./protocol.js";

export interface Ec2Context extends ListShaping {
  p: QueryParams;
  model: AwsModel;
}

type Result = Record<string, XmlValue>;
type Handler = (ctx: Ec2Context) => Result;

interface Filter {
  name: string;
  values: RegExp[];
}

/** EC2 filter values allow `*` and `?` wildcards. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

function filtersOf(p: QueryParams): Filter[] {
  return p.list("Filter").map((f) => ({ name: f.get("Name") ?? "", values: f.strings("Value").map(globToRegExp) }));
}

/** Whether a resource passes every filter; `field` answers the non-tag filter names it supports. */
function matches(filters: Filter[], tags: Record<string, string>, field: (name: string) => string | undefined): boolean {
  return filters.every((f) => {
    if (f.name.startsWith("tag:")) {
      const v = tags[f.name.slice(4)];
      return v !== undefined && f.values.some((re) => re.test(v));
    }
    if (f.name === "tag-key") return Object.keys(tags).some((k) => f.values.some((re) => re.test(k)));
    const v = field(f.name);
    if (v === undefined) throw new AwsApiError("InvalidParameterValue", `The filter '${f.name}' is invalid`);
    return f.values.some((re) => re.test(v));
  });
}

const tagSet = (tags: Record<string, string>) => {
  const entries = Object.entries(tags);
  return entries.length ? entries.map(([key, value]) => ({ key, value })) : undefined;
};

function permXml(perm: IpPermission): Result {
  return {
    ipProtocol: perm.protocol,
    fromPort: perm.fromPort,
    toPort: perm.toPort,
    groups: perm.groups.map((g) => ({ userId: "123456789012", groupId: g })),
    ipRanges: perm.cidrs.map((c) => ({ cidrIp: c.cidr, description: c.description })),
    ipv6Ranges: [],
    prefixListIds: [],
  };
}

function sgXml(model: AwsModel, sg: SecurityGroup): Result {
  return {
    ownerId: model.account,
    groupId: sg.id,
    groupName: sg.name,
    groupDescription: sg.description,
    vpcId: sg.vpcId,
    ipPermissions: sg.ingress.map(permXml),
    ipPermissionsEgress: sg.egress.map(permXml),
    tagSet: tagSet(model.tagsOf(sg.id)),
  };
}

function maxResults(p: QueryParams, min: number, max: number): number | undefined {
  const n = p.int("MaxResults");
  if (n !== undefined && (n < min || n > max)) {
    throw new AwsApiError("InvalidParameterValue", `Value ( ${n} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`);
  }
  return n;
}

/** The permissions of an AuthorizeSecurityGroupIngress request, one entry per peer. */
function permissionsFrom(p: QueryParams): IpPermission[] {
  const out: IpPermission[] = [];
  for (const perm of p.list("IpPermissions")) {
    const base = {
      protocol: perm.get("IpProtocol") ?? "-1",
      ...(perm.int("FromPort") !== undefined ? { fromPort: perm.int("FromPort")! } : {}),
      ...(perm.int("ToPort") !== undefined ? { toPort: perm.int("ToPort")! } : {}),
    };
    for (const r of perm.list("IpRanges")) {
      const d = r.get("Description");
      out.push({ ...base, cidrs: [{ cidr: r.get("CidrIp") ?? "", ...(d ? { description: d } : {}) }], groups: [] });
    }
    for (const g of perm.list("Groups")) out.push({ ...base, cidrs: [], groups: [g.get("GroupId") ?? ""] });
  }
  return out;
}

const samePeerRule = (a: IpPermission, b: IpPermission) =>
  a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort &&
  a.cidrs.map((c) => c.cidr).join() === b.cidrs.map((c) => c.cidr).join() && a.groups.join() === b.groups.join();

function requireGroup(model: AwsModel, id: string): SecurityGroup {
  const sg = model.securityGroups.get(id);
  if (!sg) throw new AwsApiError("InvalidGroup.NotFound", `The security group '${id}' does not exist`);
  return sg;
}

export const EC2_ACTIONS: Record<string, Handler> = {
  DescribeInstances({ p, model, ...shape }) {
    const ids = p.strings("InstanceId");
    const max = maxResults(p, 5, 1000);
    if (ids.length && max !== undefined) {
      throw new AwsApiError("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults");
    }
    const missing = ids.filter((id) => !model.instances.has(id));
    if (missing.length) throw new AwsApiError("InvalidInstanceID.NotFound", `The instance IDs '${missing.join(", ")}' do not exist`);
    const filters = filtersOf(p);
    const all = (ids.length ? ids.map((id) => model.instances.get(id)!) : [...model.instances.values()]).filter((i) =>
      matches(filters, model.tagsOf(i.id), (name) =>
        ({ "instance-state-name": i.state, "instance-id": i.id, "vpc-id": i.vpcId, "subnet-id": i.subnetId, "instance-type": i.type, "private-ip-address": i.privateIp })[name],
      ),
    );
    const { page, next } = paginate(all, p.get("NextToken"), max, 1000, shape);
    return {
      reservationSet: page.map((i, n) => ({
        reservationId: `r-${i.id.slice(2)}`,
        ownerId: model.account,
        groupSet: [],
        instancesSet: [{
          instanceId: i.id,
          imageId: "ami-0abc0000000000001",
          instanceState: { code: INSTANCE_STATE_CODES[i.state], name: i.state },
          privateDnsName: `ip-${i.privateIp.replace(/\./g, "-")}.${model.region}.compute.internal`,
          instanceType: i.type,
          amiLaunchIndex: n,
          launchTime: i.launchTime,
          placement: { availabilityZone: i.availabilityZone, tenancy: "default" },
          subnetId: i.subnetId,
          vpcId: i.vpcId,
          privateIpAddress: i.privateIp,
          tagSet: tagSet(model.tagsOf(i.id)),
        }],
      })),
      nextToken: next,
    };
  },

  DescribeSecurityGroups({ p, model, ...shape }) {
    const ids = p.strings("GroupId");
    const names = p.strings("GroupName");
    for (const id of ids) requireGroup(model, id);
    const filters = filtersOf(p);
    const groups = [...model.securityGroups.values()]
      .filter((sg) => (!ids.length || ids.includes(sg.id)) && (!names.length || names.includes(sg.name)))
      .filter((sg) =>
        matches(filters, model.tagsOf(sg.id), (name) =>
          ({ "vpc-id": sg.vpcId, "group-name": sg.name, "group-id": sg.id, description: sg.description })[name],
        ),
      );
    const { page, next } = paginate(groups, p.get("NextToken"), maxResults(p, 5, 1000), 1000, shape);
    return { securityGroupInfo: page.map((sg) => sgXml(model, sg)), nextToken: next };
  },

  CreateSecurityGroup({ p, model }) {
    const name = p.get("GroupName");
    const description = p.get("GroupDescription");
    if (!name) throw new AwsApiError("MissingParameter", "The request must contain the parameter groupName");
    if (!description) throw new AwsApiError("MissingParameter", "The request must contain the parameter groupDescription");
    const vpcId = p.get("VpcId") ?? [...model.vpcs.keys()][0]!;
    if (!model.vpcs.has(vpcId)) throw new AwsApiError("InvalidVpcID.NotFound", `The vpc ID '${vpcId}' does not exist`);
    if ([...model.securityGroups.values()].some((sg) => sg.name === name && sg.vpcId === vpcId)) {
      throw new AwsApiError("InvalidGroup.Duplicate", `The security group '${name}' already exists for VPC '${vpcId}'`);
    }
    const sg: SecurityGroup = {
      id: `sg-${model.nextHex(17)}`,
      name,
      description,
      vpcId,
      ingress: [],
      egress: [{ protocol: "-1", cidrs: [{ cidr: "0.0.0.0/0" }], groups: [] }],
    };
    model.securityGroups.set(sg.id, sg);
    for (const spec of p.list("TagSpecification")) {
      if (spec.get("ResourceType") !== "security-group") continue;
      model.setTags(sg.id, new Map(spec.list("Tag").map((t) => [t.get("Key") ?? "", t.get("Value") ?? ""])));
    }
    return { return: true, groupId: sg.id, tagSet: tagSet(model.tagsOf(sg.id)) };
  },

  AuthorizeSecurityGroupIngress({ p, model }) {
    const id = p.get("GroupId") ?? [...model.securityGroups.values()].find((sg) => sg.name === p.get("GroupName"))?.id ?? "";
    const sg = requireGroup(model, id);
    const perms = permissionsFrom(p);
    for (const perm of perms) {
      for (const g of perm.groups) requireGroup(model, g);
      if (sg.ingress.some((r) => samePeerRule(r, perm))) {
        const peer = perm.cidrs[0]?.cidr ?? perm.groups[0];
        throw new AwsApiError(
          "InvalidPermission.Duplicate",
          `the specified rule "peer: ${peer}, ${perm.protocol.toUpperCase()}, from port: ${perm.fromPort}, to port: ${perm.toPort}, ALLOW" already exists`,
        );
      }
    }
    sg.ingress.push(...perms);
    return {
      return: true,
      securityGroupRuleSet: perms.map((perm) => ({
        securityGroupRuleId: `sgr-${model.nextHex(17)}`,
        groupId: sg.id,
        groupOwnerId: model.account,
        isEgress: false,
        ipProtocol: perm.protocol,
        fromPort: perm.fromPort,
        toPort: perm.toPort,
        cidrIpv4: perm.cidrs[0]?.cidr,
        referencedGroupInfo: perm.groups[0] ? { groupId: perm.groups[0], userId: model.account } : undefined,
      })),
    };
  },

  CreateTags({ p, model }) {
    const ids = p.strings("ResourceId");
    const tags = new Map(p.list("Tag").map((t) => [t.get("Key") ?? "", t.get("Value") ?? ""] as const));
    for (const id of ids) {
      const known = model.instances.has(id) || model.securityGroups.has(id) || model.vpcs.has(id);
      if (!known) throw new AwsApiError("InvalidID", `The ID '${id}' is not valid`);
      model.setTags(id, tags);
    }
    return { return: true };
  },

  DescribeVpcs({ p, model, ...shape }) {
    const ids = p.strings("VpcId");
    const missing = ids.filter((id) => !model.vpcs.has(id));
    if (missing.length) throw new AwsApiError("InvalidVpcID.NotFound", `The vpc ID '${missing.join(", ")}' does not exist`);
    const filters = filtersOf(p);
    const vpcs = [...model.vpcs.values()]
      .filter((v) => !ids.length || ids.includes(v.id))
      .filter((v) => matches(filters, model.tagsOf(v.id), (name) => ({ "vpc-id": v.id, "cidr-block": v.cidr, cidr: v.cidr })[name]));
    const { page, next } = paginate(vpcs, p.get("NextToken"), maxResults(p, 5, 1000), 1000, shape);
    return {
      vpcSet: page.map((v) => ({ vpcId: v.id, ownerId: model.account, state: "available", cidrBlock: v.cidr, isDefault: false, tagSet: tagSet(model.tagsOf(v.id)) })),
      nextToken: next,
    };
  },
};
