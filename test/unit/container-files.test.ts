import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What can be checked of the container path without a Docker engine: the Dockerfile's paths and its
 * command on PATH, the compose files' paths and services, and the commands the docs tell people to run
 * in them. (test/runtime/runtime-stage.sh runs the runtime stage itself, without Docker.)
 */
const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; engines: { node: string } };
const composeFiles = ['docker-compose.yml', 'ops/fleet/docker-compose.yml'];

/** The top-level services of a compose file: the two-space-indented keys under `services:`. */
function services(compose: string): string[] {
  const block = compose.slice(compose.indexOf('\nservices:\n'));
  const end = block.slice(1).search(/\n\S/);
  return [...(end === -1 ? block : block.slice(0, end + 1)).matchAll(/^ {2}([a-z0-9-]+):/gm)].map((match) => match[1] as string);
}

describe('the container files', () => {
  it("link the package's bin onto PATH in the runtime stage, executable, as the docs' command needs", () => {
    const [, target, name] = /ln -s \/app\/(\S+) \/usr\/local\/bin\/(\S+)/.exec(dockerfile) ?? [];
    expect(name).toBe('map-token-proxy');
    expect(target).toBe(pkg.bin['map-token-proxy']);
    expect(dockerfile).toContain(`chmod +x ${target}`);
    // built from its TypeScript source, whose first line makes the linked file run with node
    const source = (target as string).replace(/^dist\//, '').replace(/\.js$/, '.ts');
    expect(read(source).split('\n')[0]).toBe('#!/usr/bin/env node');
    // in the stage that runs, after the built output is copied and before the unprivileged user
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime.indexOf('COPY --from=build /app/dist')).toBeLessThan(runtime.indexOf('ln -s'));
    expect(runtime.indexOf('ln -s')).toBeLessThan(runtime.indexOf('USER node'));
  });

  it('copy only paths that exist, on one pinned Node.js 24 minor version the package admits', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => (match[1] as string).split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    expect(sources.filter((path) => !existsSync(join(root, path)))).toEqual([]);
    expect(/^ARG NODE_VERSION=(24\.\d+)$/m.exec(dockerfile)?.[1]).toBeDefined();
    expect([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1])).toEqual([
      'node:${NODE_VERSION}-bookworm-slim',
      'node:${NODE_VERSION}-bookworm-slim',
    ]);
    expect(pkg.engines.node).toContain('>=24.0.0');
  });

  it.each(composeFiles)('%s builds this repository and mounts only files that exist', (file) => {
    const compose = read(file);
    const builds = [...compose.matchAll(/^\s+build: (\S+)$/gm)].map((match) => join(root, dirname(file), match[1] as string));
    expect(builds.length).toBeGreaterThan(0);
    for (const context of builds) expect(existsSync(join(context, 'Dockerfile'))).toBe(true);
    const mounts = [...compose.matchAll(/^\s+- (\.\/[^:]+):/gm)].map((match) => join(root, dirname(file), match[1] as string));
    expect(mounts.filter((path) => !existsSync(path))).toEqual([]);
  });

  it('put three instances behind nginx, which names exactly those', () => {
    const compose = read('ops/fleet/docker-compose.yml');
    const instances = services(compose).filter((name) => name.startsWith('tokens-'));
    expect(instances).toEqual(['tokens-1', 'tokens-2', 'tokens-3']);
    const upstream = [...read('ops/fleet/nginx.conf').matchAll(/^\s+server (\S+):8080 /gm)].map((match) => match[1]);
    expect(upstream).toEqual(instances);
    expect(services(compose)).toEqual(expect.arrayContaining(['mysql', 'nginx']));
  });

  it('show commands that name a service of their compose file and a command of the command line', () => {
    const usage = read('src/cli.ts');
    const shown = [...composeFiles, 'docs/operations.md', 'README.md'].flatMap((file) =>
      [...read(file).matchAll(/docker compose (?:-f (\S+) )?run --rm (\S+) map-token-proxy (\w+(?: \w+)?)/g)].map((match) => ({
        file,
        compose: match[1] ?? 'docker-compose.yml',
        service: match[2] as string,
        command: match[3] as string,
      })),
    );
    expect(shown.map(({ command }) => command)).toEqual(expect.arrayContaining(['keys create', 'migrate']));
    for (const { compose, service, command } of shown) {
      expect({ compose, service, known: services(read(compose)).includes(service) }).toEqual({ compose, service, known: true });
      expect(usage).toContain(`\n  ${command}`);
    }
  });
});
