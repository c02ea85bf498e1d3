# Stand-in for the official node image: Debian bookworm + the official Node binary and npm from npm.
FROM scale-lab-ci/debian:bookworm
ADD node.tgz /opt/node/
ADD npm.tgz /opt/npm/
COPY host-ca-certificates.crt /usr/local/share/scale-lab-ci/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/scale-lab-ci/ca-certificates.crt
RUN ln -s /opt/node/package/bin/node /usr/local/bin/node \
 && mkdir -p /usr/local/lib/node_modules && mv /opt/npm/package /usr/local/lib/node_modules/npm && rmdir /opt/npm \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
