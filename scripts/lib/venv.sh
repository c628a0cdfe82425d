# Sourced: make .venv with the engine's dependencies and test tools (browser tests' too), once per change of pyproject.toml.
if [ ! -x .venv/bin/python ]; then
	python3 -m venv .venv
fi
stamp=.venv/.installed-$(cksum < pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ]; then
	.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,browser]" && touch "$stamp"
fi
