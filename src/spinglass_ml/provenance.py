"""What produced a result: the package version and the versions of the libraries that determine it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version(name: str = "spinglass-ml") -> str:
    """Installed version of distribution ``name``, or "unknown" where it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Versions of the installed distributions among ``names``; those not installed are left out."""
    return {name: v for name in names if (v := package_version(name)) != "unknown"}
