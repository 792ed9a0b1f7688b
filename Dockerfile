# The container program only (the Worker is bundled by wrangler). Debian-based, so sharp's prebuilt
# glibc libvips from npm just works; Node 24 runs the TypeScript sources directly (type stripping).
#
# Two stages on the same base: `deps` installs the production dependencies with npm and trims them; the image
# starts again from the base and takes only their node_modules, so neither npm's cache and logs nor the lockfile
# reach it. The base is most of the image (256 MB on the local stand-in: Debian 117 MB, the node binary 127 MB,
# npm 12.5 MB; docs/BENCHMARK.md, "Image size and cold start"): files of the base deleted in a later layer
# still count, so npm is removed below for what runs in the container, not for the size.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
# `dependencies` in package.json are exactly what the container needs at run time; the Worker's are
# devDependencies (none of these has an install script: package.json's allowScripts). npm's cache goes to a
# folder removed in the same layer, which keeps it out without `npm cache clean --force` and its "protections
# disabled" warning.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --cache /tmp/npm-cache && rm -rf /tmp/npm-cache
# What Node never loads from node_modules: TypeScript sources and declarations (Node refuses to strip types
# there), source maps, documentation, and sharp's C++ sources (the prebuilt @img/sharp-linux-x64 addon is what
# loads). npm installed only the linux-x64 glibc binaries of sharp (@img/sharp-linux-x64,
# @img/sharp-libvips-linux-x64): the other platforms' are optional dependencies it skips. Licences stay.
RUN find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
      -o \( -name '*.md' ! -iname 'licen[cs]e*' \) \) -delete \
 && rm -rf node_modules/sharp/src

FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    PORT=8080 \
    # glibc's per-thread malloc arenas fragment and keep memory sharp's worker threads have freed; two arenas
    # return it (the setting sharp's docs recommend for long-running glibc processes).
    MALLOC_ARENA_MAX=2 \
    # Refuse libvips' untrusted loaders (matload, fitsload, …) in every process, whatever the code says.
    VIPS_BLOCK_UNTRUSTED=1 \
    # Node's compile cache, filled at the end of this file: a cold start reads the V8 code of every module and
    # the type-stripped TypeScript from here instead of compiling them (about half of Node's start-up CPU time).
    NODE_COMPILE_CACHE=/app/.compile-cache

# Nothing in the container runs npm, npx, corepack or yarn (the CMD and the HEALTHCHECK run node).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules/
# package.json: the version /health reports.
COPY package.json ./
COPY contract/ ./contract/
COPY container/src/ ./container/src/
RUN install -d -o node -g node .compile-cache

USER node
# Fill the compile cache: run the server up to the point where it would listen (the preload makes listen() exit
# 0, so no port is bound during the build), which loads and compiles every module it imports. Node keys the cache
# by its version and the user's uid, so it is filled as `node`, the user the container runs as; run as another
# user, the container compiles as it would without the cache.
RUN node --import 'data:text/javascript,import http from "node:http"; http.Server.prototype.listen = () => process.exit(0);' \
      container/src/server.ts

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Node as PID 1 receives SIGTERM itself; server.ts drains in-flight requests and exits 0.
CMD ["node", "container/src/server.ts"]
