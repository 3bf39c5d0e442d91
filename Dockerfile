# syntax=docker/dockerfile:1
# mtasts-scan in a container, for Kubernetes Indexed Jobs (deploy/k8s/) or any container runner.
#
#   docker build -t mtasts-scan:latest .
#   docker run --rm -v "$PWD/data:/data" mtasts-scan:latest --dns-only -o /data/out.csv.zst /data/top-1m.csv
#
# Stage 1 installs exactly what scripts/setup-deps installs on a fresh Debian 12 (the same apt
# package list, by running that script), builds with the project's flags and runs the unit tests.
# Stage 2 is debian:12 with the runtime libraries only, the binary, the shard scripts (deploy/)
# and the opt-out list.  The image runs as an unprivileged user (uid 10001).

FROM debian:12 AS build
COPY scripts/setup-deps /src/scripts/setup-deps
RUN /src/scripts/setup-deps && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Werror \
    && cmake --build /build -j"$(nproc)" \
    && cd /build && ctest -LE integration --output-on-failure

FROM debian:12
# Runtime libraries of build/mtasts-scan (ldd; tests/integration/deploy_offline.sh checks this
# list against the binary), the CA store, and what the deploy/ scripts use.
RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends \
        libevent-2.1-7 libevent-core-2.1-7 libevent-openssl-2.1-7 libc-ares2 libssl3 libcsv3 \
        libzstd1 ca-certificates zstd python3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/mtasts-scan /usr/local/bin/mtasts-scan
COPY deploy/shard-args deploy/scan-shard deploy/merge-shards deploy/check-once /opt/mtasts-scan/deploy/
COPY datasets/optout.blocklist /opt/mtasts-scan/datasets/optout.blocklist
ENV MTASTS_BIN=/usr/local/bin/mtasts-scan
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin mtasts
USER 10001:10001
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/mtasts-scan"]
