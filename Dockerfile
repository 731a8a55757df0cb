# Anemone in a container: the same steps as docs/install.md's package install.
# build: npm ci, then npm pack (prepack builds the server and the web UI);
# install: the package alone, without development dependencies;
# runtime: Node and the installed package, no compiler, a non-root user, /data.

FROM node:24-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary is reachable
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir /pkg && npm pack --pack-destination /pkg && mv /pkg/anemone-*.tgz /pkg/anemone.tgz

FROM node:24-slim AS install
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY --from=build /pkg/anemone.tgz /tmp/anemone.tgz
RUN npm install --global --omit=dev --no-audit --no-fund --prefix /opt/anemone /tmp/anemone.tgz

FROM node:24-slim
# MALLOC_ARENA_MAX: two malloc arenas for the process instead of one per thread (~13 MB lower sender peaks during small-file syncs; bench/README.md)
ENV NODE_ENV=production \
    ANEMONE_DATA_DIR=/data \
    HTTPS_PORT=8443 \
    ANEMONE_BIND=0.0.0.0 \
    MALLOC_ARENA_MAX=2
COPY --from=install /opt/anemone /opt/anemone
# a user of its own; the data directory is its home, readable by nobody else
RUN groupadd --system --gid 10001 anemone \
 && useradd --system --uid 10001 --gid anemone --home-dir /data --shell /usr/sbin/nologin anemone \
 && mkdir -p /data && chown anemone:anemone /data && chmod 0700 /data
USER anemone
WORKDIR /data
VOLUME /data
EXPOSE 8443
# /health with node itself (no curl in the image); the self-signed certificate is not checked for a local liveness probe
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const plain=['off','off-any-address'].includes(process.env.ANEMONE_UI_TLS);require(plain?'node:http':'node:https').get({host:'127.0.0.1',port:process.env.HTTPS_PORT||8443,path:'/health',rejectUnauthorized:false,timeout:4000},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
ENTRYPOINT ["/opt/anemone/bin/anemone"]
CMD ["serve"]
