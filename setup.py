"""Package discovery that pyproject.toml cannot express on its own.

`resources/` sits at the repository root (data, not code) but installs as the
`bundler_resources` package so `importlib.resources` finds it in a wheel, an
editable install and a PyInstaller build alike. See docs/decisions.md.
"""

from setuptools import find_namespace_packages, find_packages, setup

# Data folders under resources/ (icons/, checklists/, fonts/ ...) are listed as packages so that
# setuptools ships them as package data without ambiguity.
_resources = ["bundler_resources"] + [
    f"bundler_resources.{name}" for name in find_namespace_packages(where="resources")
]

setup(
    packages=find_packages(include=["bundler", "bundler.*", "ui", "ui.*"]) + _resources,
    package_dir={"bundler_resources": "resources"},
)
