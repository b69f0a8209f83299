import { enum as oneOf, strictObject, union, type output } from "zod";
import { absolutePath, expected, name, port } from "../fields.js";

/*
 * database: — the PostgreSQL database Workbench keeps its cluster state in (required: host, password).
 *
 *   database:
 *     host: pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com   # required
 *     port: 5432
 *     name: pwb
 *     user: pwb
 *     password: { ssm: /pwb/database/password }   # required: { ssm: <parameter> } or { file: <root-only file> }
 *     sslMode: require                # disable | allow | prefer | require | verify-ca | verify-full
 */

/** Where a secret comes from: an SSM Parameter Store SecureString, or a root-only file on the node. */
const secretRefSchema = union(
  [
    strictObject({ ssm: name("an SSM parameter name or ARN", /^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter)?[A-Za-z0-9_.\-/]+$/, 2048) }),
    strictObject({ file: absolutePath }),
  ],
  expected("{ ssm: <SSM parameter name> } or { file: <absolute path of a root-only file> }"),
);

export type SecretRef = output<typeof secretRefSchema>;

export const databaseSection = strictObject({
  host: name("a host name or IP address", /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:]+\]?$/, 253),
  port: port.default(5432),
  name: name("a database name", /^[A-Za-z_][A-Za-z0-9_$-]*$/, 63).default("pwb"),
  user: name("a database user name", /^[A-Za-z_][A-Za-z0-9_$.-]*$/, 63).default("pwb"),
  password: secretRefSchema,
  sslMode: oneOf(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"], expected("a libpq sslmode: disable, allow, prefer, require, verify-ca or verify-full"))
    .default("require"),
});
