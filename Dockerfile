# The `arbiter` binary in a small non-root image (README.md, "Deploying on Kubernetes").
#
#   docker build -t model-arbiter:0.1.0 .
#   docker run --rm -p 8080:8080 model-arbiter:0.1.0          # serve, default bundle built in
#   docker run --rm model-arbiter:0.1.0 select --help           # any other subcommand
#
# Build: the workspace's release profile, `--locked` to Cargo.lock. Only Cargo.toml, Cargo.lock,
# crates/ and policies/ (embedded as the default bundle) are needed; .dockerignore keeps the rest
# out of the context. Runtime: distroless cc (glibc, libgcc, CA certificates; no shell, no package
# manager) as user 65532, the uid the Kubernetes base runs as.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY policies policies
RUN cargo build --release -p arbiter-cli --locked \
 && install -D -m 0755 target/release/arbiter /out/arbiter

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/arbiter /usr/local/bin/arbiter
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/arbiter"]
# On all interfaces inside the container (the binary's own default is loopback only).
CMD ["serve", "--addr", "0.0.0.0:8080"]
