// Which service a deployment manifest's container runs. ECS container
// definitions and Kubernetes containers name their service two ways: the
// image (`123.dkr.ecr.eu-west-1.amazonaws.com/shop/orders-service:1.4.2`,
// `ghcr.io/acme/orders-service@sha256:…`) and the container name. The image
// is the stronger evidence (it is what runs); the container name decides
// when the image names no known service (a registry alias, a `${TAG}` shell
// variable in a deploy template).
import type { Service } from '../../src/engine/types.js';

/** The repository's last path segment, without registry, tag or digest: `orders-service`. */
export function imageRepoName(image: string): string | null {
  const noDigest = image.split('@')[0] ?? '';
  const last = noDigest.split('/').pop() ?? '';
  // A colon after the last slash is the tag; a registry port sits before a slash.
  const name = last.split(':')[0] ?? '';
  return name === '' ? null : name.toLowerCase();
}

export interface ContainerRef {
  name?: unknown;
  image?: unknown;
}

/**
 * The service a container runs, or null when neither its image nor its name
 * is a service of the workspace (a sidecar: datadog-agent, envoy, a log
 * router): rules say nothing about containers they cannot place.
 */
export function serviceOfContainer(services: readonly Service[], container: ContainerRef): Service | null {
  const byName = (n: string | null) => (n ? (services.find((s) => s.name.toLowerCase() === n) ?? null) : null);
  const image = typeof container.image === 'string' ? byName(imageRepoName(container.image)) : null;
  if (image) return image;
  return typeof container.name === 'string' ? byName(container.name.toLowerCase()) : null;
}
