"""The bundled demo: the Alingsås analysis in ``layers/`` (a tiny registry of example data)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

_LAYERS = Path(__file__).resolve().parents[2] / "layers"
DATASETS = {
    "alingsas": "alingsas_demo.toml",
    "alingsas_grid": "alingsas_grid.toml",
    "alingsas_gpkg": "alingsas_demo.gpkg",
    "inquiry_logistics": "inquiry_logistics.toml",
}


def get_path(name: str = "alingsas") -> Path:
    """The path of a bundled example file.

    Parameters
    ----------
    name
        ``"alingsas"`` (the demo analysis file), ``"alingsas_grid"`` (a hexagon-grid
        suitability surface), ``"alingsas_gpkg"`` (their layers) or ``"inquiry_logistics"``
        (a sample investor request).

    Raises
    ------
    InputError
        For an unknown name (listing the valid ones), or when the files are not there
        (gis-tool installed without its source tree).
    """
    if name not in DATASETS:
        raise InputError(f"no example dataset '{name}'; available: {', '.join(DATASETS)}")
    path = _LAYERS / DATASETS[name]
    if not path.exists():
        raise InputError(f"{path}: the demo data is not here; run gis-tool from a clone of "
                         "the repository (pip install -e .), or regenerate the layers with "
                         "`python -m gis_tool.demo_data`")
    return path
