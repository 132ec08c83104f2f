#!/usr/bin/env bash
# Puts the four MNIST files into data/mnist/ as NAME.gz, verified by the SHA-256
# of their decompressed content (mirrors differ in gzip headers, not in content).
#
# Sources, in order:
#   1. $MNIST_DIR, if set;
#   2. ../shared/mnist beside the repository (override: $KD_MLP_SHARED_MNIST);
#   3. the public mirrors (override: $MNIST_MIRRORS, space-separated base URLs).
# A source folder may hold NAME.gz or the raw NAME (which is gzipped here).
#
# Idempotent: a file already in place with the right hash is left alone; one
# with a wrong hash is replaced. New files are written to a temporary name and
# moved into place only once their hash is right.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/data/mnist"
shared="${KD_MLP_SHARED_MNIST:-$root/../shared/mnist}"
mirrors="${MNIST_MIRRORS:-https://ossci-datasets.s3.amazonaws.com/mnist/ https://storage.googleapis.com/cvdf-datasets/mnist/}"
# Shown in messages, so spelt without "..".
if [ -d "$shared" ]; then shared="$(cd "$shared" && pwd)"; fi
names="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

expected_hash() {
    case "$1" in
        train-images-idx3-ubyte) echo ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db ;;
        train-labels-idx1-ubyte) echo 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 ;;
        t10k-images-idx3-ubyte) echo 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 ;;
        t10k-labels-idx1-ubyte) echo ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 ;;
        *) return 1 ;;
    esac
}

# SHA-256 of the decompressed content of a gzip file. A file that does not
# decompress hashes to something that matches nothing.
gz_hash() {
    local sum
    sum="$( (gzip -dc -- "$1" 2>/dev/null || echo corrupt) | sha256sum)"
    echo "${sum%% *}"
}

# SHA-256 of a raw file.
raw_hash() {
    local sum
    sum="$(sha256sum < "$1")"
    echo "${sum%% *}"
}

for tool in gzip sha256sum; do
    command -v "$tool" > /dev/null || { echo "fetch-mnist: $tool is required" >&2; exit 1; }
done

mkdir -p "$dest"
tmp=""
# A temporary file left by an interrupted run or a failed source is removed.
trap 'if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi' EXIT

# Tries one source. Arguments: NAME, the expected hash, then a command that
# writes the gzip file to "$tmp". Only a file whose content hash is right is
# moved to data/mnist/NAME.gz, so a failed or partial fetch never replaces it.
try_source() {
    local name="$1" want="$2"
    shift 2
    tmp="$(mktemp "$dest/.$name.gz.XXXXXX")"
    if "$@" && [ "$(gz_hash "$tmp")" = "$want" ]; then
        # mktemp creates files readable by their owner only.
        chmod 0644 -- "$tmp"
        mv -f -- "$tmp" "$dest/$name.gz"
        tmp=""
        return 0
    fi
    rm -f -- "$tmp"
    tmp=""
    return 1
}

copy_gz() { cp -- "$1" "$tmp"; }
gzip_raw() { gzip -c -- "$1" > "$tmp"; }
download() {
    curl --silent --show-error --location --fail \
        --connect-timeout 10 --max-time 300 --retry 2 \
        --output "$tmp" -- "$1" 2> /dev/null
}

failed=0
for name in $names; do
    want="$(expected_hash "$name")"
    target="$dest/$name.gz"

    # A raw copy in data/mnist is read in preference to the .gz (see
    # data::load_dir), so it must be right too: a wrong one is removed.
    if [ -f "$dest/$name" ] && [ "$(raw_hash "$dest/$name")" != "$want" ]; then
        echo "$name: raw copy in data/mnist has a wrong SHA-256, removed"
        rm -f -- "$dest/$name"
    fi

    note=""
    if [ -f "$target" ]; then
        if [ "$(gz_hash "$target")" = "$want" ]; then
            echo "$name.gz: present, ok"
            continue
        fi
        note=" (replacing a file with a wrong SHA-256)"
    fi

    tried=()
    got=""
    dirs=()
    labels=()
    if [ -n "${MNIST_DIR:-}" ]; then
        dirs+=("$MNIST_DIR")
        labels+=("\$MNIST_DIR")
    fi
    dirs+=("$shared")
    labels+=("shared copy")
    for i in "${!dirs[@]}"; do
        dir="${dirs[$i]}"
        if [ ! -d "$dir" ]; then
            tried+=("$dir (${labels[$i]}: no such folder)")
            continue
        fi
        if [ ! -f "$dir/$name.gz" ] && [ ! -f "$dir/$name" ]; then
            tried+=("$dir (${labels[$i]}: no $name.gz or $name)")
            continue
        fi
        if [ -f "$dir/$name.gz" ]; then
            if try_source "$name" "$want" copy_gz "$dir/$name.gz"; then
                got="copied from $dir/$name.gz"
                break
            fi
            tried+=("$dir/$name.gz (unreadable or wrong SHA-256)")
        fi
        if [ -f "$dir/$name" ]; then
            if try_source "$name" "$want" gzip_raw "$dir/$name"; then
                got="gzipped from $dir/$name"
                break
            fi
            tried+=("$dir/$name (unreadable or wrong SHA-256)")
        fi
    done

    if [ -z "$got" ]; then
        for base in $mirrors; do
            url="${base%/}/$name.gz"
            if ! command -v curl > /dev/null; then
                tried+=("$url (curl not installed)")
            elif try_source "$name" "$want" download "$url"; then
                got="downloaded from $url"
                break
            else
                tried+=("$url (download failed or wrong SHA-256)")
            fi
        done
    fi

    if [ -n "$got" ]; then
        echo "$name.gz: $got$note"
    else
        failed=1
        {
            echo "fetch-mnist: could not get $name; sources tried:"
            printf '  %s\n' "${tried[@]}"
        } >&2
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "fetch-mnist: failed; set MNIST_DIR to a folder holding the MNIST files, or check the network" >&2
    exit 1
fi
