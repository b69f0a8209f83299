export const VERSION: string = typeof __PWB_VERSION__ === "string" ? __PWB_VERSION__ : "0.0.0-dev";
