# Sourced: run things on a Frappe bench. Needs $bench_dir; sets $owner.
# bench refuses root, so commands run as the bench's owner with that user's PATH (bench, node, yarn).
owner=$(stat -c %U "$bench_dir")
owner_home=$(getent passwd "$owner" | cut -d: -f6)
db_root_password=${INTELLICON_DB_ROOT_PASSWORD:-root}
repo=${repo:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# Frappe's major version on this bench: benches of two versions share one MariaDB server, so the test
# sites of any but v15 carry the version in their names (a site's database is named after the site).
frappe_major=$(sed -nE 's/^__version__ = "([0-9]+)\..*/\1/p' "$bench_dir/apps/frappe/frappe/__init__.py")
site_suffix=""
[ "$frappe_major" = 15 ] || site_suffix="-v$frappe_major"
site_name() { echo "intellicon-$1$site_suffix.localhost"; }

node_dir() { # a folder whose node is as new as apps/frappe's package.json asks ("engines": v16 wants 24)
	local need dir major
	need=$(python3 -c 'import json, re, sys; e = json.load(open(sys.argv[1])).get("engines", {}).get("node", ""); m = re.search(r"\d+", e); print(m.group(0) if m else 0)' "$bench_dir/apps/frappe/package.json")
	for dir in ${INTELLICON_NODE_DIR:-} /usr/local/bin /usr/bin /opt/node*/bin; do
		[ -x "$dir/node" ] || continue
		major=$("$dir/node" -e 'console.log(process.versions.node.split(".")[0])')
		if [ "$major" -ge "$need" ]; then
			echo "$dir"
			return
		fi
	done
	echo "No node $need or newer for the bench at $bench_dir: set INTELLICON_NODE_DIR to its folder." >&2
	echo /usr/bin
}
# What bench commands run with: the owner's bench CLI, then the node this bench's Frappe needs.
bench_path="$owner_home/.local/bin:$(node_dir):/usr/local/bin:/usr/bin:/bin"

as_owner() {
	local cmd="cd '$bench_dir' && $*"
	if [ "$(id -un)" = "$owner" ]; then
		PATH="$bench_path" bash -c "$cmd"
	else
		runuser -u "$owner" -- env HOME="$owner_home" CI="${CI:-1}" PATH="$bench_path" bash -c "$cmd"
	fi
}

config_port() { # redis_cache / redis_queue port from common_site_config.json
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]].rsplit(':', 1)[1])" \
		"$bench_dir/sites/common_site_config.json" "$1"
}

start_services() {
	if ! mysqladmin ping --silent >/dev/null 2>&1; then
		echo "Starting MariaDB ..."
		if [ "$(id -u)" = 0 ]; then service mariadb start >/dev/null; else sudo service mariadb start >/dev/null; fi
		for _ in $(seq 30); do mysqladmin ping --silent >/dev/null 2>&1 && break; sleep 1; done
	fi
	local name port
	for name in cache queue; do
		port=$(config_port "redis_$name")
		if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
			echo "Starting Redis ($name, port $port) ..."
			as_owner "redis-server config/redis_$name.conf --daemonize yes >/dev/null"
			for _ in $(seq 20); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.5; done
		fi
	done
}

sync_app() { # this checkout becomes apps/intellicon_leads of the bench
	local target="$bench_dir/apps/intellicon_leads"
	mkdir -p "$target"
	# Built assets live in the app's public/dist: keep them across syncs.
	rsync -a --delete --exclude .git --exclude .venv --exclude node_modules --exclude '__pycache__' \
		--exclude .pytest_cache --exclude .ruff_cache --exclude benchmarks/data --exclude artifacts \
		--exclude /intellicon_leads/public/dist "$repo/" "$target/"
	chown -R "$owner:" "$target"
	# The bench must import the synced copy, not an editable install of another folder.
	if [ "$(imported_app_path)" != "$target/intellicon_leads" ]; then
		as_owner "env/bin/python -m pip install -q -e apps/intellicon_leads"
	fi
	if [ "$(imported_app_path)" != "$target/intellicon_leads" ]; then
		echo "The bench imports intellicon_leads from '$(imported_app_path)', not from $target: fix its env (pip uninstall intellicon_leads) and run again." >&2
		exit 1
	fi
	grep -qx intellicon_leads "$bench_dir/sites/apps.txt" || as_owner "printf '\nintellicon_leads' >> sites/apps.txt"
}

imported_app_path() { # where the bench's Python finds the app (empty if nowhere)
	as_owner "env/bin/python -c 'import os, intellicon_leads; print(os.path.realpath(os.path.dirname(intellicon_leads.__file__)))' 2>/dev/null" || true
}

prepare_site() { # SITE [dotted function to run on the site before the app is installed]
	local site=$1 before_install=${2:-} with_apps=${3:-}
	if [ ! -d "$bench_dir/sites/$site" ]; then
		echo "Creating site $site ${with_apps:+with $with_apps }..."
		local install=""
		[ -z "$with_apps" ] || install="--install-app $with_apps"
		as_owner "bench new-site '$site' --db-root-password '$db_root_password' --admin-password admin $install >/dev/null"
	fi
	as_owner "bench --site '$site' set-config allow_tests true >/dev/null"
	[ -z "$before_install" ] || as_owner "cd sites && ../env/bin/python -c \"import frappe; frappe.init(site='$site', sites_path='.'); frappe.connect(); import importlib; module, _, name = '$before_install'.rpartition('.'); getattr(importlib.import_module(module), name)(); frappe.destroy()\""
	local apps
	apps=$(as_owner "bench --site '$site' list-apps")
	if ! grep -q intellicon_leads <<<"$apps"; then
		as_owner "bench --site '$site' install-app intellicon_leads >/dev/null"
	fi
	as_owner "bench --site '$site' migrate --skip-search-index >/dev/null"
}
