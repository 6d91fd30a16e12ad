import { describe, expect, it } from 'vitest';
import { defaultService } from '../src/engine/standalone.js';
import { imageRepoName, serviceOfContainer } from '../transforms/lib/deploy-target.js';

describe('deployment container → service', () => {
  it('reads the repository name out of an image reference', () => {
    expect(imageRepoName('123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders-service:1.4.2')).toBe('orders-service');
    expect(imageRepoName('localhost:5000/api')).toBe('api');
    expect(imageRepoName('ghcr.io/acme/Api@sha256:abc')).toBe('api');
    expect(imageRepoName('')).toBeNull();
  });

  it('prefers the image, falls back to the container name, and places no sidecar', () => {
    const services = [defaultService({ name: 'api' }), defaultService({ name: 'worker' })];
    expect(serviceOfContainer(services, { name: 'app', image: 'reg/acme/api:1' })?.name).toBe('api');
    expect(serviceOfContainer(services, { name: 'worker', image: '${IMAGE}' })?.name).toBe('worker');
    expect(serviceOfContainer(services, { name: 'datadog-agent', image: 'public.ecr.aws/datadog/agent:7' })).toBeNull();
  });
});
