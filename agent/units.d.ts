// Unit files are embedded as text by esbuild's text loader (and the test config's matching plugin).
declare module "*.service" {
  const text: string;
  export default text;
}
declare module "*.timer" {
  const text: string;
  export default text;
}

/** package.json version, injected by the bundler; absent when running from source (tests). */
declare const __PWB_VERSION__: string | undefined;
