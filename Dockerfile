# syntax=docker/dockerfile:1
#
# LogPilot container image: one of the three executables, chosen with the build argument PRODUCT.
#
#   docker build -t logpilot-all:0.1.0 .                                   # REST + gRPC + management (default)
#   docker build --build-arg PRODUCT=logpilot-rest -t logpilot-rest:0.1.0 .
#   docker build --build-arg PRODUCT=logpilot-grpc -t logpilot-grpc:0.1.0 .
#   docker run --rm -p 8080:8080 -p 50051:50051 -p 8081:8081 -v logpilot-data:/data logpilot-all:0.1.0
#   docker run --rm -v logpilot-data:/data logpilot-all:0.1.0 backup --keep 7     # online backup next to the database
#
# Whatever can be checked without a Docker engine is checked by Tests/interop/test_container_image.py: the runtime
# packages are exactly what `ldd` of the real binaries needs, EXPOSE lists the binaries' default ports, the
# ENTRYPOINT is exec form, the USER is numeric and not root, and the HEALTHCHECK command is run against a live server.

# The toolchain the project is built and tested with (`swift --version`); the test above keeps them equal.
ARG SWIFT_VERSION=6.3.1
ARG DEBIAN_CODENAME=bookworm

# ---------------------------------------------------------------------------------------------------------------------
FROM swift:${SWIFT_VERSION}-${DEBIAN_CODENAME} AS build

# Headers of the C libraries behind Package.swift's system-library targets (their `.apt([...])` providers).
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends libsqlite3-dev libnghttp2-dev libprotobuf-c-dev libzstd-dev zlib1g-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Dependencies first, so that this layer is rebuilt only when the manifest or its pins change. `Package.*` and not
# `Package.resolved` by name: the pins file is optional (without it the newest allowed versions are resolved).
COPY Package.* ./
RUN swift package resolve
# Sources, and the Swift test targets' folders (SwiftPM refuses a manifest whose target folders are missing;
# .dockerignore leaves the Python interop suite out).
COPY Sources ./Sources
COPY Tests ./Tests

ARG PRODUCT=logpilot-all
# --static-swift-stdlib links the Swift runtime, Dispatch, Foundation and its ICU data into the executable, so the
# runtime stage needs no Swift toolchain libraries: only the Debian packages listed there.
RUN case "$PRODUCT" in \
      logpilot-all|logpilot-rest|logpilot-grpc) ;; \
      *) echo "PRODUCT must be logpilot-all, logpilot-rest or logpilot-grpc, not '$PRODUCT'" >&2; exit 1 ;; \
    esac \
 && swift build -c release --product "$PRODUCT" --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/$PRODUCT" /out/logpilot \
 && install -D -m 0755 /usr/libexec/swift/linux/swift-backtrace-static /out/swift-backtrace-static

# ---------------------------------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_CODENAME}-slim AS runtime

ARG PRODUCT=logpilot-all
# The shared libraries the executables link, besides libc (`ldd`, mapped to packages with `dpkg -S`).
# RUNTIME_PACKAGES: all three executables. GRPC_RUNTIME_PACKAGES: only logpilot-all and logpilot-grpc (the gRPC
# front's HTTP/2 and protobuf libraries; logpilot-rest links neither).
ARG RUNTIME_PACKAGES="libsqlite3-0 libzstd1 zlib1g libstdc++6 libgcc-s1"
ARG GRPC_RUNTIME_PACKAGES="libnghttp2-14 libprotobuf-c1"
RUN set -eu \
 && packages="$RUNTIME_PACKAGES" \
 && if [ "$PRODUCT" != logpilot-rest ]; then packages="$packages $GRPC_RUNTIME_PACKAGES"; fi \
 && export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends $packages \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric user and group (10001), so that Kubernetes' runAsUser/fsGroup and `runAsNonRoot` can check them.
RUN groupadd --system --gid 10001 logpilot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin logpilot \
 && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=build /out/logpilot /usr/local/bin/logpilot
COPY --from=build /out/swift-backtrace-static /usr/local/libexec/swift-backtrace-static

LABEL org.opencontainers.image.title="LogPilot" \
      org.opencontainers.image.description="LogPilot log ingestion server (REST, gRPC, SQLite)"

# The database lives on the volume. SWIFT_BACKTRACE: a crash prints a symbolicated backtrace of every thread to
# stderr (non-interactive), using the backtracer copied above.
ENV LOGPILOT_SQLITE_PATH=/data/logpilot.db \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/libexec/swift-backtrace-static
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

# REST, gRPC, management (/health*, /metrics). logpilot-rest listens on 8080 and 8081 only, logpilot-grpc on 50051
# and 8081 only.
EXPOSE 8080 50051 8081

# Liveness on the management port, without curl: bash's /dev/tcp sends one HTTP request and the status line must say
# 200. /health/live (not /health/ready): "unhealthy" should mean "restart me", and readiness is DOWN for reasons a
# restart does not fix (a full volume, a full write queue, draining). Set LOGPILOT_MANAGEMENT_PORT when you move the
# management port (the check reads the variable, not the config file).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${LOGPILOT_MANAGEMENT_PORT:-8081} && printf 'GET /health/live HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 5 _ status _ <&3 && [ \"$status\" = 200 ]"]

# Exec form: the server is PID 1 and receives SIGTERM itself (graceful drain, then exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/logpilot"]
CMD []
