# The container program only (the Worker is bundled by wrangler). Debian-based, so sharp's prebuilt
# glibc libvips from npm just works; Node 24 runs the TypeScript sources directly (type stripping).
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    PORT=8080 \
    # glibc's per-thread malloc arenas fragment and keep memory sharp's worker threads have freed; two arenas
    # return it (the setting sharp's docs recommend for long-running glibc processes).
    MALLOC_ARENA_MAX=2 \
    # Refuse libvips' untrusted loaders (matload, fitsload, …) in every process, whatever the code says.
    VIPS_BLOCK_UNTRUSTED=1

WORKDIR /app

# Dependencies first, so this layer is reused when only the sources change. `dependencies` in
# package.json are exactly what the container needs at run time; the Worker's are devDependencies (none of
# these has an install script: package.json's allowScripts). npm's cache goes to a folder removed in the same
# layer, which keeps it out of the image without `npm cache clean --force` and its "protections disabled" warning.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --cache /tmp/npm-cache && rm -rf /tmp/npm-cache

COPY contract/ ./contract/
COPY container/src/ ./container/src/

USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Node as PID 1 receives SIGTERM itself; server.ts drains in-flight requests and exits 0.
CMD ["node", "container/src/server.ts"]
