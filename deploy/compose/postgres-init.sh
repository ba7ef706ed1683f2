#!/bin/sh
# Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d): the
# cluster is Synapse's (C collation, as Synapse requires); cohost gets a role and a
# database of its own, its password from its secret.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE cohost LOGIN PASSWORD '$(cat /run/secrets/cohost_db_password)';
CREATE DATABASE cohost OWNER cohost;
SQL
