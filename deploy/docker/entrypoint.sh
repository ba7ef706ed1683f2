#!/bin/sh
# cohost's entrypoint (the image's, and usable on any host with cohost installed).
#
# `run` (the default): with every setting in the environment (COHOST_HOMESERVER_URL,
# COHOST_USER_ID and a credential), cohost runs on them alone. Otherwise, on the first
# start, when $COHOST_CONFIG does not exist yet and
# COHOST_INIT_SERVER_NAME is set, `cohost init` writes it (making the bot's account
# with the registration secret or admin token named by the COHOST_INIT_*_FILE
# variables); then the database is brought up to date and cohost runs in the
# foreground, as PID 1's child no more: `exec` hands it the signals.
# Anything else is a cohost command: `docker compose run --rm cohost doctor`.
set -eu

CONFIG="${COHOST_CONFIG:-cohost.toml}"
# Every setting may come from the environment instead (an env file, as the playbook's
# role writes it): then no config file is needed, nor made.
if [ ! -f "$CONFIG" ] && [ -n "${COHOST_HOMESERVER_URL:-}" ] && [ -n "${COHOST_USER_ID:-}" ]; then
    set_by_environment=yes
fi
with_config() {
    if [ -n "${set_by_environment:-}" ]; then
        exec cohost "$@"
    fi
    command="$1"
    shift
    exec cohost "$command" --config "$CONFIG" "$@"
}

if [ "$#" -gt 0 ] && [ "$1" != "run" ]; then
    case "$1" in
        init|demo|example-config|appservice-registration) exec cohost "$@" ;;
        *) with_config "$@" ;;
    esac
fi

if [ -n "${set_by_environment:-}" ]; then
    cohost migrate
    exec cohost run
fi

if [ ! -f "$CONFIG" ]; then
    if [ -z "${COHOST_INIT_SERVER_NAME:-}" ]; then
        echo "cohost: $CONFIG does not exist. Set COHOST_INIT_SERVER_NAME (and" \
            "COHOST_INIT_REGISTRATION_SHARED_SECRET_FILE) to make it on this start," \
            "or run: cohost init" >&2
        exit 2
    fi
    set -- --yes --server-name "$COHOST_INIT_SERVER_NAME" --config "$CONFIG" \
        --data-dir "${COHOST_DATA_DIR:-cohost-data}"
    if [ -n "${COHOST_INIT_HOMESERVER_URL:-}" ]; then
        set -- "$@" --homeserver-url "$COHOST_INIT_HOMESERVER_URL"
    fi
    if [ -n "${COHOST_INIT_USER:-}" ]; then
        set -- "$@" --user "$COHOST_INIT_USER"
    fi
    if [ -n "${COHOST_INIT_REGISTRATION_SHARED_SECRET_FILE:-}" ]; then
        set -- "$@" --registration-shared-secret-file "$COHOST_INIT_REGISTRATION_SHARED_SECRET_FILE"
    fi
    if [ -n "${COHOST_INIT_ADMIN_TOKEN_FILE:-}" ]; then
        set -- "$@" --admin-token-file "$COHOST_INIT_ADMIN_TOKEN_FILE"
    fi
    if [ -n "${COHOST_INIT_PASSWORD_FILE:-}" ]; then
        set -- "$@" --password-file "$COHOST_INIT_PASSWORD_FILE"
    fi
    cohost init "$@"
fi

cohost migrate --config "$CONFIG"
exec cohost run --config "$CONFIG"
