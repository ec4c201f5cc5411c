"""Package discovery that pyproject.toml cannot express on its own.

`resources/` sits at the repository root (data, not code) but installs as the
`bundler_resources` package so `importlib.resources` finds it in a wheel, an
editable install and a PyInstaller build alike. See docs/decisions.md.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["bundler", "bundler.*", "ui", "ui.*"]) + ["bundler_resources"],
    package_dir={"bundler_resources": "resources"},
)
