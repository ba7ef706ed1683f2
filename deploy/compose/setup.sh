#!/bin/sh
# Prepares this folder for `docker compose up -d`, once:
#   ./setup.sh matrix.example.org
# It writes .env (from .env.example), secrets/ (random passwords, Synapse's
# registration secret, cohost's database URL) and synapse/ (a Synapse on PostgreSQL
# that reads its registration secret from the same file cohost's first start uses, so
# the two never disagree), and makes backups/ for `cohost backup`.
# Needs only sh, openssl and base64.
set -eu
cd "$(dirname "$0")"
SERVER_NAME="${1:?usage: ./setup.sh <server name, e.g. matrix.example.org>}"
if [ -e secrets ] || [ -e synapse/homeserver.yaml ]; then
    echo "setup: this folder is set up already (secrets/ exists); nothing changed" >&2
    exit 1
fi
umask 077
random() { head -c "$1" /dev/urandom | base64 | tr -d '/+=\n'; }
mkdir -p secrets synapse backups

random 24 > secrets/synapse_db_password
random 24 > secrets/cohost_db_password
random 32 > secrets/registration_shared_secret
printf 'postgresql://cohost:%s@postgres/cohost\n' "$(cat secrets/cohost_db_password)" \
    > secrets/cohost_database_url
# The containers read their secrets as their own users (postgres, Synapse's 991,
# cohost's 10001) through file mounts: the files are readable, the folder holding them
# is the admin's alone, so nobody else on the host reaches them.
chmod 0644 secrets/*
chmod 0700 secrets
sed "s|^SERVER_NAME=.*|SERVER_NAME=$SERVER_NAME|" .env.example > .env
chmod 0644 .env

# Synapse's signing key, in its own format: "ed25519 a_<id> <unpadded base64 seed>".
key_id=$(random 9 | tr -dc 'a-zA-Z0-9' | cut -c1-6)
seed=$(openssl genpkey -algorithm ed25519 -outform DER | tail -c 32 | base64 | tr -d '=\n')
printf 'ed25519 a_%s %s\n' "$key_id" "$seed" > synapse/signing.key

cat > synapse/homeserver.yaml <<EOF
# Synapse for $SERVER_NAME, written by setup.sh. Paths are the container's (/data is
# ./synapse, /run/secrets/* are ./secrets/*). Put your TLS reverse proxy in front of
# port 8008 and serve .well-known for $SERVER_NAME (Synapse's documentation).
server_name: "$SERVER_NAME"
public_baseurl: "https://$SERVER_NAME/"
pid_file: /data/homeserver.pid
listeners:
  - port: 8008
    bind_addresses: ["0.0.0.0"]
    type: http
    tls: false
    x_forwarded: true
    resources:
      - names: [client, federation]
        compress: false
database:
  name: psycopg2
  args:
    user: synapse
    password: "$(cat secrets/synapse_db_password)"
    dbname: synapse
    host: postgres
    cp_min: 5
    cp_max: 10
log_config: /data/log.config
media_store_path: /data/media_store
signing_key_path: /data/signing.key
# The file, not a copy: cohost's first start makes its account with the same secret.
registration_shared_secret_path: /run/secrets/registration_shared_secret
macaroon_secret_key: "$(random 32)"
form_secret: "$(random 32)"
report_stats: false
enable_registration: false
trusted_key_servers:
  - server_name: matrix.org
EOF

cat > synapse/log.config <<'EOF'
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: precise
loggers:
  synapse.storage.SQL:
    level: INFO
root:
  level: INFO
  handlers: [console]
disable_existing_loggers: false
EOF

echo "setup: done for $SERVER_NAME. Next:"
echo "  sudo chown -R 991:991 synapse     # the Synapse image runs as uid 991"
echo "  docker compose up -d              # cohost's first start makes its account"
echo "  docker compose run --rm cohost doctor"
