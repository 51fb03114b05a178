# GarminSync container: the daemon (scheduler + JSON API + dashboard) on port 8080, data in /app/data.
# Build:  docker build -t garminsync .
# Run:    docker run -d --name garminsync -p 127.0.0.1:8080:8080 -v garminsync-data:/app/data --env-file .env garminsync

# --- stage 1: fetch and cache every dependency (npm packages, the libSQL native addon), exactly as locked ---
FROM denoland/deno:2.9.6 AS deps
WORKDIR /app
ENV DENO_DIR=/deno-dir
COPY . .
RUN deno cache --frozen main.ts sim/demo.ts

# --- stage 2: the runtime image, non-root ---
FROM denoland/deno:2.9.6
WORKDIR /app
ENV DENO_DIR=/deno-dir \
    GARMINSYNC_DATA_DIR=/app/data \
    GARMINSYNC_HOST=0.0.0.0 \
    GARMINSYNC_PORT=8080
COPY --from=deps --chown=deno:deno /deno-dir /deno-dir
COPY --from=deps /app /app
RUN mkdir -p /app/data && chown deno:deno /app/data
USER deno
EXPOSE 8080
VOLUME /app/data
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('GARMINSYNC_PORT') ?? 8080}/healthz`); Deno.exit(r.ok ? 0 : 1)"]
# tini (shipped in the official image) as PID 1 forwards Ctrl-C/SIGTERM to deno and reaps children.
ENTRYPOINT ["/tini", "--", "deno", "run", "--cached-only", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-ffi", "--allow-run", "main.ts"]
CMD ["daemon", "--start"]
