# syntax=docker/dockerfile:1
# model-gateway: build stage compiles and packs; the runtime stage holds only the packed package
# (dist/) and its production dependencies, and runs as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && mkdir /pkg && npm pack --ignore-scripts --pack-destination /pkg && mv /pkg/model-gateway-*.tgz /pkg/model-gateway.tgz

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=build /pkg/model-gateway.tgz /tmp/model-gateway.tgz
RUN echo '{"name":"model-gateway-image","private":true}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /tmp/model-gateway.tgz \
 && rm /tmp/model-gateway.tgz && npm cache clean --force
USER node
EXPOSE 4000
# Config: mount a file and set MODEL_GATEWAY_CONFIG=/etc/model-gateway/config.yaml; secrets come
# from the environment (${NAME} in the file). Without a config the gateway runs its demo.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/node_modules/model-gateway/dist/bundle/bin.js"]
CMD ["serve"]
