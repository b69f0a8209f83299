// pg's client class on its own. pg's index lazily require()s its optional native binding (pg-native),
// which a single executable cannot load and which would leave a foreign require() in the bundle.
declare module "pg/lib/client.js" {
  import type { Client } from "pg";
  const ClientClass: typeof Client;
  export default ClientClass;
}
