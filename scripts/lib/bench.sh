# Sourced: run things on a Frappe bench. Needs $bench_dir; sets $owner.
# bench refuses root, so commands run as the bench's owner with that user's PATH (bench, node, yarn).
owner=$(stat -c %U "$bench_dir")
owner_home=$(getent passwd "$owner" | cut -d: -f6)
db_root_password=${INTELLICON_DB_ROOT_PASSWORD:-root}
repo=${repo:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

as_owner() {
	local cmd="cd '$bench_dir' && $*"
	if [ "$(id -un)" = "$owner" ]; then
		bash -c "$cmd"
	else
		runuser -u "$owner" -- env HOME="$owner_home" CI="${CI:-1}" \
			PATH="$owner_home/.local/bin:/usr/local/bin:/usr/bin:/bin" bash -c "$cmd"
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
