import { check, matches, need, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

const SECRET = /^arn:.*:(secretsmanager:.*:.*:secret:|ssm:.*:.*:parameter\/).*$/;
const TLS_REQ_CERT = ["never", "allow", "try", "demand", "hard"];
/** DomainNameValidator: an FQDN (corp.example.com) or an LDAP DN (DC=corp,DC=example,DC=com). */
const FQDN = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;
const LDAP_DN = /^(DC|dc)=[a-zA-Z0-9_-]+(,(DC|dc)=[a-zA-Z0-9_-]+)*$/;
/** SSSD settings ParallelCluster fixes (constants.py DIRECTORY_SERVICE_RESERVED_SETTINGS). */
const RESERVED_SSSD: Record<string, string> = { id_provider: "ldap" };

/** The one region where ParallelCluster still reads the password from SSM Parameter Store (for old clusters). */
const SSM_PASSWORD_REGION = "us-isob-east-1";

/**
 * PasswordSecretArnValidator: a Secrets Manager secret anywhere, an SSM parameter only in
 * us-isob-east-1. The region is the file's Region (pcluster's --region or profile when absent).
 */
function passwordSecretRegion(ctx: RuleContext, secret: YView): void {
  const parts = str(secret)!.split(":");
  const service = parts[2];
  const resource = parts[5] ?? "";
  const region = str(ctx.root.get("Region"));
  const ok = (service === "secretsmanager" && resource === "secret") || (service === "ssm" && resource.split("/")[0] === "parameter" && region === SSM_PASSWORD_REGION);
  if (ok) return;
  const where = region ? `Region ${region}` : "a file without Region (pcluster then uses --region or the AWS profile's)";
  const why = service === "ssm" ? `an SSM parameter is only read in ${SSM_PASSWORD_REGION}; use a Secrets Manager secret (arn:…:secretsmanager:…:secret:…) in ${where}` : "expected arn:<partition>:secretsmanager:<region>:<account>:secret:<name>";
  ctx.issues.error("directory-password-secret", secret, `${secret.where}: ${why}`);
}

/** DirectoryService (optional; Workbench users usually come from it): ParallelCluster's schema and validators. */
export function checkDirectoryService(ctx: RuleContext): void {
  const ds = ctx.root.get("DirectoryService");
  if (!check(ctx, ds, "map")) return;
  for (const key of ["DomainName", "DomainAddr", "DomainReadOnlyUser"]) need(ctx, ds.get(key), "string");
  const secret = ds.get("PasswordSecretArn");
  if (need(ctx, secret, "string") && matches(ctx, secret, SECRET, "a Secrets Manager secret or SSM parameter ARN")) passwordSecretRegion(ctx, secret);

  const domain = str(ds.get("DomainName"));
  if (domain !== undefined && !FQDN.test(domain) && !LDAP_DN.test(domain)) {
    ctx.issues.error("directory-domain-name", ds.get("DomainName"), `${ds.get("DomainName").where}: expected an FQDN (corp.example.com) or an LDAP DN (DC=corp,DC=example,DC=com); got "${domain}"`);
  }

  const sssd = ds.get("AdditionalSssdConfigs");
  const addr = str(ds.get("DomainAddr"));
  if (addr !== undefined) {
    // DomainAddrValidator: warnings only; ParallelCluster assumes ldaps without a scheme.
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(addr)?.[1]?.toLowerCase();
    const at = ds.get("DomainAddr");
    if (scheme === undefined) ctx.issues.warn("directory-domain-addr", at, `${at.where}: no protocol; ParallelCluster assumes ldaps://`);
    else if (scheme !== "ldap" && scheme !== "ldaps") ctx.issues.warn("directory-domain-addr", at, `${at.where}: unsupported protocol ${scheme}; use ldaps:// (or ldap://)`);
    else if (scheme === "ldap") {
      const tlsOff = String(sssd.get("ldap_auth_disable_tls_never_use_in_production").value ?? "false").toLowerCase() === "true";
      ctx.issues.warn(
        "directory-domain-addr",
        at,
        `${at.where}: ldaps:// is strongly encouraged${tlsOff ? "" : "; with ldap:// AdditionalSssdConfigs needs ldap_auth_disable_tls_never_use_in_production: true"}`,
      );
    }
  }

  const req = ds.get("LdapTlsReqCert");
  if (check(ctx, req, "string")) {
    const value = str(req)!;
    if (!TLS_REQ_CERT.includes(value)) ctx.issues.error("format", req, `${req.where}: expected one of ${TLS_REQ_CERT.join(", ")}; got "${value}"`);
    else if (value !== "hard" && value !== "demand") ctx.issues.warn("directory-ldap-tls-reqcert", req, `${req.where}: ${value} does not verify the directory's certificate; hard or demand is recommended`);
  }

  // AdditionalSssdConfigsValidator: reserved values, and access_provider ldap with LdapAccessFilter.
  if (check(ctx, sssd, "map")) {
    for (const [key, allowed] of Object.entries(RESERVED_SSSD)) {
      const v = sssd.get(key);
      if (v.exists && str(v) !== allowed) ctx.issues.error("directory-sssd-reserved", v, `${v.where}: ParallelCluster requires ${key}: ${allowed}; got "${str(v) ?? String(v.value)}"`);
    }
    const provider = sssd.get("access_provider");
    if (provider.exists && ds.get("LdapAccessFilter").exists && str(provider) !== "ldap") {
      ctx.issues.error("directory-sssd-reserved", provider, `${provider.where}: with LdapAccessFilter, access_provider must be ldap; got "${str(provider) ?? String(provider.value)}"`);
    }
  }
}
