import type { Component } from "../types.js";
import { gatherImages, type ImageState } from "./gather.js";
import { imageResources } from "./plan.js";

/** Session images, pulled or built on the head node into containers.imageDirectory (shared storage). */
export const imagesComponent: Component<ImageState[]> = {
  name: "images",
  roles: ["head"],
  needsSite: true,
  gather(_facts, site, ctx) {
    return gatherImages(ctx.root, site.containers.imageDirectory, site.images);
  },
  wants(_facts, site, inputs) {
    if (site === null) return [];
    return imageResources(site.containers.imageDirectory, site.images, inputs);
  },
};
