# One image for every tier; docker-compose.yml picks the service per container.
FROM node:20-bookworm-slim
WORKDIR /app
RUN corepack enable || npm i -g pnpm@9.15.9
COPY . .
RUN npx -y pnpm@9.15.9 install --frozen-lockfile && npx -y pnpm@9.15.9 build
ENV NODE_ENV=production
EXPOSE 7999 5560 5561 5562 5563
CMD ["node", "services/runner/bin/pushpin-runner.js", "--config", "config/pushpin.conf"]
