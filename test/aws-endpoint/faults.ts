// Faults injected on demand, per service/action (optionally per request) or globally.

export type Service = "elbv2" | "ec2" | "ssm" | "imds" | "s3" | "route53";

/** What the endpoint knows about a call when it decides which faults apply. */
export interface CallInfo {
  service: Service;
  action: string;
  params: Record<string, unknown>;
}

export type Fault =
  /** The service's own throttling error: ELBv2 `Throttling` (400), EC2 `RequestLimitExceeded` (503), SSM `ThrottlingException` (400). */
  | { kind: "throttle" }
  /** A 5xx answer (InternalFailure / ServiceUnavailable). */
  | { kind: "serverError"; status: number }
  /** Any other API error, e.g. AccessDenied. */
  | { kind: "error"; code: string; message: string; status: number }
  /** Extra delay before the answer. */
  | { kind: "latency"; ms: number }
  /** Never answer; the client times out (the connection stays open until it gives up). */
  | { kind: "hang" }
  /** Do the action, then reset the connection: the client never sees that it succeeded. */
  | { kind: "dropResponse" }
  /** Answer list actions with no items (and no pagination marker). */
  | { kind: "empty" }
  /** Cap pages of paginated actions at this many items, whatever page size the client asked for. */
  | { kind: "pageSize"; size: number }
  /** A listing cut short: the last page of a paginated action comes back empty and without a marker. */
  | { kind: "shortLastPage" };

export interface FaultTarget {
  service?: Service;
  action?: string;
  /** Narrower match on the request, e.g. `(c) => c.params.TargetGroupArn === arn`. */
  when?: (call: CallInfo) => boolean;
  /** How many matching calls it affects (default: every one until removed). */
  times?: number;
}

export interface FaultHandle {
  /** Calls this fault has affected so far. */
  readonly hits: number;
  remove(): void;
}

interface Rule {
  fault: Fault;
  target: FaultTarget;
  remaining: number;
  hits: number;
}

export class Faults {
  private rules: Rule[] = [];

  add(fault: Fault, target: FaultTarget = {}): FaultHandle {
    const rule: Rule = { fault, target, remaining: target.times ?? Infinity, hits: 0 };
    this.rules.push(rule);
    return {
      get hits() {
        return rule.hits;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
  }

  throttle(target: FaultTarget = {}) {
    return this.add({ kind: "throttle" }, target);
  }
  serverError(target: FaultTarget & { status?: number } = {}) {
    return this.add({ kind: "serverError", status: target.status ?? 500 }, target);
  }
  error(code: string, message: string, target: FaultTarget & { status?: number } = {}) {
    return this.add({ kind: "error", code, message, status: target.status ?? 400 }, target);
  }
  latency(ms: number, target: FaultTarget = {}) {
    return this.add({ kind: "latency", ms }, target);
  }
  hang(target: FaultTarget = {}) {
    return this.add({ kind: "hang" }, target);
  }
  dropResponse(target: FaultTarget = {}) {
    return this.add({ kind: "dropResponse" }, target);
  }
  emptyPages(target: FaultTarget = {}) {
    return this.add({ kind: "empty" }, target);
  }
  pageSize(size: number, target: FaultTarget = {}) {
    return this.add({ kind: "pageSize", size }, target);
  }
  shortLastPage(target: FaultTarget = {}) {
    return this.add({ kind: "shortLastPage" }, target);
  }

  clear(): void {
    this.rules = [];
  }

  /** The faults that apply to this call, each counted once against its `times`. */
  take(call: CallInfo): Fault[] {
    const out: Fault[] = [];
    for (const r of this.rules) {
      const t = r.target;
      if (r.remaining <= 0) continue;
      if (t.service && t.service !== call.service) continue;
      if (t.action && t.action !== call.action) continue;
      if (t.when && !t.when(call)) continue;
      r.remaining -= 1;
      r.hits += 1;
      out.push(r.fault);
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return out;
  }
}
