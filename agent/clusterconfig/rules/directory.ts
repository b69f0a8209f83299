import { check, matches, need, str, type RuleContext } from "../context.js";

const SECRET = /^arn:.*:(secretsmanager:.*:.*:secret:|ssm:.*:.*:parameter\/).*$/;
const TLS_REQ_CERT = ["never", "allow", "try", "demand", "hard"];

/** DirectoryService (optional; Workbench users usually come from it): required keys and formats. */
export function checkDirectoryService(ctx: RuleContext): void {
  const ds = ctx.root.get("DirectoryService");
  if (!check(ctx, ds, "map")) return;
  for (const key of ["DomainName", "DomainAddr", "DomainReadOnlyUser"]) need(ctx, ds.get(key), "string");
  const secret = ds.get("PasswordSecretArn");
  if (need(ctx, secret, "string")) matches(ctx, secret, SECRET, "a Secrets Manager secret or SSM parameter ARN");
  const req = ds.get("LdapTlsReqCert");
  if (check(ctx, req, "string") && !TLS_REQ_CERT.includes(str(req)!)) {
    ctx.issues.error("format", req, `${req.where}: expected one of ${TLS_REQ_CERT.join(", ")}; got "${str(req)}"`);
  }
}
