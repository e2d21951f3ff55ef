"""Every word gis-tool shows people, in Swedish and English, in one place.

Each table maps a language to its phrases; ``{name}`` fields are filled in with
:meth:`str.format` by the code that shows them. Add a language by adding its key to
every table (tests/test_text.py checks that both languages have the same keys).
"""

from __future__ import annotations

# The interactive map: popups, legend, search, layer control, land supply panel.
MAP = {
    "sv": {"score": "Poäng", "rank": "Rang", "area": "Areal", "excluded": "Utesluten",
           "criterion": "Kriterium", "raw": "Mätvärde", "points": "Poäng",
           "legend": "Lämplighet (poäng 0–100)", "legend_note": "Högre poäng = mer lämplig mark",
           "search": "Sök fastighet / plats-id", "not_found": "Ingen plats hittades",
           "sites": "Kandidatplatser", "top": "Topp {n}", "profile": "Profil", "created": "Skapad",
           "base_light": "Ljus bakgrund", "base_none": "Ingen bakgrund", "base_osm": "OpenStreetMap",
           "sites_count": "{n} platser, {e} möjliga", "constraint": "restriktion", "yes": "ja", "no": "nej",
           "search_grid": "Sök ruta (cell-id)", "offer": "Erbjudande", "steps": "Vägen dit",
           "readiness": "Beredskap", "lead_time": "Ledtid", "months": "mån", "cost_to_ready": "Till byggklar",
           "colour_by": "Färg efter", "by_score": "Lämplighet", "by_readiness": "Beredskap",
           "legend_readiness": "Beredskapsnivå", "legend_readiness_note": "Hur snart ett företag kan bygga",
           "supply": "Markreserv (möjlig mark, ha)", "level": "Nivå", "ha_level": "ha", "ha_cum": "≥ nivå",
           "target": "Mål", "target_met": "uppfyllt", "target_short": "{ha} ha saknas",
           "years": "år vid {d} ha/år", "overview": "Översikt: alla platser (högsta poäng per hexagon)",
           "scaled": "Visar de {k} bästa av {n} platser; övriga som hexagonöversikt"},
    "en": {"score": "Score", "rank": "Rank", "area": "Area", "excluded": "Excluded", "criterion": "Criterion",
           "raw": "Measure", "points": "Points", "legend": "Suitability (score 0–100)",
           "legend_note": "Higher score = more suitable land", "search": "Search parcel / site id",
           "not_found": "No site found", "sites": "Candidate sites", "top": "Top {n}", "profile": "Profile",
           "created": "Created", "base_light": "Light background", "base_none": "No background",
           "base_osm": "OpenStreetMap", "sites_count": "{n} sites, {e} eligible", "constraint": "constraint",
           "yes": "yes", "no": "no",
           "search_grid": "Search cell id", "offer": "Offer", "steps": "Steps",
           "readiness": "Readiness", "lead_time": "Lead time", "months": "months",
           "cost_to_ready": "To build-ready", "colour_by": "Colour by", "by_score": "Suitability",
           "by_readiness": "Readiness", "legend_readiness": "Readiness level",
           "legend_readiness_note": "How soon a company could build", "supply": "Land supply (eligible, ha)",
           "level": "Level", "ha_level": "ha", "ha_cum": "≥ level", "target": "Target", "target_met": "met",
           "target_short": "{ha} ha short", "years": "years at {d} ha/yr",
           "overview": "Overview: all sites (best score per hexagon)",
           "scaled": "Showing the best {k} of {n} sites; the rest as a hexagon overview"},
}

# The live-weights panel of the map.
LIVE = {
    "sv": {"title": "Vikter (live)", "profile": "Profil", "published": "Publicerade vikter",
           "reset": "Återställ", "differs": "Rangordningen skiljer sig från den publicerade körningen",
           "same": "Som den publicerade körningen",
           "note": "Poäng räknas om i sidan; en profil tillämpar också sina restriktioner och sin minsta areal.",
           "min_area": "mindre än profilens minsta areal ({m2} m²)"},
    "en": {"title": "Weights (live)", "profile": "Profile", "published": "Published weights", "reset": "Reset",
           "differs": "Ranking differs from the published run", "same": "As the published run",
           "note": "Scores are recomputed in the page; a profile also applies its constraints and minimum area.",
           "min_area": "smaller than the profile's minimum area ({m2} m²)"},
}

# The investor map of an inquiry.
INQUIRY_MAP = {
    "sv": {"matches": "Matchande platser", "near": "Nästan-träffar", "combined": "Sammanslagna platser",
           "none": "Inga matchande platser"},
    "en": {"matches": "Matching sites", "near": "Near misses", "combined": "Combined sites",
           "none": "No matching sites"},
}

# The land-supply and readiness charts.
CHARTS = {
    "sv": {"supply_title": "Markreserv för verksamheter per beredskapsnivå", "ha": "Hektar (möjliga platser)",
           "cumulative": "Denna nivå eller högre", "target": "Mål: {ha} ha på nivå {lv} eller högre",
           "other": "Övrigt", "level0": "{label}: {ha} ha (visas ej)", "met": "uppfyllt",
           "short": "{ha} ha saknas", "ready_title": "Beredskap mot lämplighet (möjliga platser)",
           "score": "Lämplighetspoäng (0–100)", "level": "Beredskapsnivå", "market_now": "Marknadsför nu",
           "plan_next": "Planera härnäst", "size": "Punktens yta ∝ tomtens areal", "high": "Hög poäng ≥ {s}"},
    "en": {"supply_title": "Business land supply by readiness level", "ha": "Hectares (eligible sites)",
           "cumulative": "This level or higher", "target": "Target: {ha} ha at level {lv} or higher",
           "other": "Other", "level0": "{label}: {ha} ha (not shown)", "met": "met", "short": "{ha} ha short",
           "ready_title": "Readiness against suitability (eligible sites)",
           "score": "Suitability score (0–100)", "level": "Readiness level", "market_now": "Market now",
           "plan_next": "Plan next", "size": "Dot area ∝ plot area", "high": "High score ≥ {s}"},
}

# The meeting pack (PDF).
PACK = {
    "sv": {"pack": "Underlag för möte", "request": "Förfrågan", "company": "Företag", "contact": "Kontakt",
           "description": "Beskrivning", "profile": "Profil", "area": "Areal", "readiness": "Beredskap",
           "min_readiness": "Lägsta beredskapsnivå", "lead_time": "Ledtid", "max_lead_time": "Längsta ledtid",
           "months": "mån", "near_miss": "Nästan-träffar inom", "requirements": "Krav",
           "layer_distance": "Avstånd till {layer}", "layer_share": "Andel täckt av {layer}",
           "layer_minutes": "Restid till {layer}",
           "municipality": "Kommun", "analysis": "Analys", "offer": "Erbjudande", "steps": "Vägen dit",
           "date": "Datum", "matches": "Matchande platser",
           "combined": "varav sammanslagna", "near_misses": "Nästan-träffar",
           "none": "Ingen plats uppfyller förfrågan som den är ställd.",
           "blocker": "Utan kravet {r} ({a}) skulle {n} platser matcha.", "score": "Poäng",
           "rank": "Placering", "facts": "Fakta", "parts": "Ingår", "plan": "Plan",
           "constraints": "Restriktioner i närheten", "no_constraints": "Inga inom 1 km",
           "overlaps": "överlappar ({p} %)", "breakdown": "Poäng per kriterium",
           "overview": "Översikt: matchande platser", "page": "Sida {p} av {n}", "cost": "Till byggklar",
           "at_least": "minst", "at_most": "högst", "made_by": "gis-tool"},
    "en": {"pack": "Meeting pack", "request": "Request", "company": "Company", "contact": "Contact",
           "description": "Description", "profile": "Profile", "area": "Area", "readiness": "Readiness",
           "min_readiness": "Minimum readiness level", "lead_time": "Lead time",
           "max_lead_time": "Longest lead time", "months": "months", "near_miss": "Near misses within",
           "requirements": "Requirements", "layer_distance": "Distance to {layer}",
           "layer_share": "Share covered by {layer}", "layer_minutes": "Travel time to {layer}",
           "municipality": "Municipality", "analysis": "Analysis",
           "offer": "Offer", "steps": "Steps", "date": "Date",
           "matches": "Matching sites", "combined": "of which combined", "near_misses": "Near misses",
           "none": "No site meets the request as asked.",
           "blocker": "Without the {r} requirement ({a}), {n} sites would match.", "score": "Score",
           "rank": "Rank", "facts": "Key facts", "parts": "Parts", "plan": "Plan",
           "constraints": "Constraints nearby", "no_constraints": "None within 1 km",
           "overlaps": "overlaps ({p} %)", "breakdown": "Points per criterion",
           "overview": "Overview: matching sites", "page": "Page {p} of {n}", "cost": "To build-ready",
           "at_least": "at least", "at_most": "at most", "made_by": "gis-tool"},
}

# Near-miss sentences of an inquiry (matches.csv, near_misses.csv, the pack).
NEAR_MISS = {
    "en": {"more": "{n}: {v}, {d} more than the {b} asked", "less": "{n}: {v}, {d} short of {b}",
           "further": "{n}: {v}, {d} more than the {b} asked", "months": "months", "area": "area",
           "lead_time": "lead time", "level": "readiness level",
           "too_small": "no site is as small as the {b} asked at most: {sizes}",
           "too_large": "no site, nor three neighbouring sites together, is as large as the {b} asked: {sizes}",
           "grid_sizes": "the sites are grid cells of {ha} each (smaller only where the border cuts them)",
           "site_sizes": "the sites measure {lo} to {hi}"},
    "sv": {"more": "{n}: {v}, {d} mer än de {b} som efterfrågas",
           "less": "{n}: {v}, {d} mindre än de {b} som efterfrågas",
           "further": "{n}: {v}, {d} längre än de {b} som efterfrågas", "months": "mån", "area": "areal",
           "lead_time": "ledtid", "level": "beredskapsnivå",
           "too_small": "ingen plats är så liten som högst {b}: {sizes}",
           "too_large": "ingen plats, och inte heller tre grannplatser tillsammans, är så stor som {b}: {sizes}",
           "grid_sizes": "platserna är rutor om {ha} var (mindre bara där gränsen skär av dem)",
           "site_sizes": "platserna är {lo} till {hi}"},
}

# Descriptions in matches.kml.
KML = {
    "sv": {"score": "Poäng", "level": "nivå", "months": "mån", "parts": "delar", "sites": "Platser",
           "rings": "Restid"},
    "en": {"score": "Score", "level": "level", "months": "months", "parts": "parts", "sites": "Sites",
           "rings": "Travel time"},
}

# The rank-stability chart of a sensitivity study.
STABILITY = {
    "sv": {"title": "Rangstabilitet vid osäkra vikter ({r} dragningar)", "rank": "Rang (1 = bäst)",
           "range": "5–95 %", "median": "median", "chosen": "vald viktning"},
    "en": {"title": "Rank stability under weight uncertainty ({r} draws)", "rank": "Rank (1 = best)",
           "range": "5–95 %", "median": "median", "chosen": "chosen weights"},
}

# The bump chart of a comparison.
BUMP = {
    "sv": {"title": "Rang per profil (platser i någon topp {n})", "rank": "Rang"},
    "en": {"title": "Rank by profile (sites in any top {n})", "rank": "Rank"},
}

# The comparison map.
COMPARE = {
    "sv": {"top": "Topp {n}: {p}", "title": "Profiler jämförda: {name}"},
    "en": {"top": "Top {n}: {p}", "title": "Profiles compared: {name}"},
}

# Credits on maps and in the meeting pack.
CREDITS = {
    "sv": {"data": "Data: {who}", "boverket": "Plankoder och färger: Boverket"},
    "en": {"data": "Data: {who}", "boverket": "Plan codes and colours: Boverket"},
}

# CHECKLIST.md of `gis-tool init`.
CHECKLIST = {
    "sv": {"title": "Att göra härnäst: {name} (kommun {code})", "done": "Klart",
           "add": "Lägg till, i värdeordning", "grid": "Analysen poängsätter {n} hexagoner om {ha} över kommunen.",
           "source": "Källa",
           "tail": "Lägg filerna i den här mappen och kör `gis-tool init` igen med `--overwrite`: då slås ett\n"
                   "kriterium på för varje lager som känns igen. Alla fält: docs/new-municipality.md i gis-tool."},
    "en": {"title": "What to add next: {name} (kommun {code})", "done": "Done", "add": "Add, in order of value",
           "grid": "The analysis scores {n} hexagons of {ha} over the municipality.", "source": "Source",
           "tail": "Put the files in this folder and run `gis-tool init` again with `--overwrite`: it enables a\n"
                   "criterion for each layer it recognises. Every field: docs/new-municipality.md in gis-tool."},
}

# Column headers of sites.xlsx and matches.xlsx.
COLUMNS = {
    "sv": {"site_id": "Plats-id", "score": "Poäng (0–100)", "rank": "Rang", "eligible": "Möjlig",
           "excluded_by": "Utesluten av", "area_m2": "Areal (m²)", "x": "X (SWEREF 99 TM)", "y": "Y (SWEREF 99 TM)",
           "readiness_level": "Beredskapsnivå", "readiness_label": "Beredskap", "lead_time_months": "Ledtid (mån)",
           "next_level_needs": "Nästa nivå kräver", "cost_to_ready_sek": "Kostnad till byggklar (kr)",
           "months_to_ready": "Tid till byggklar (mån)", "steps_to_ready": "Vägen till byggklar",
           "offer_now": "Kan erbjudas nu", "parts": "Ingående platser",
           "owners": "Antal ägare", "misses": "Vad som saknas", "_raw": "{label} ({unit})",
           "_value": "{label}: värde 0–1", "_points": "{label}: poäng"},
    "en": {"site_id": "Site id", "score": "Score (0–100)", "rank": "Rank", "eligible": "Eligible",
           "excluded_by": "Excluded by", "area_m2": "Area (m²)", "x": "X (SWEREF 99 TM)", "y": "Y (SWEREF 99 TM)",
           "readiness_level": "Readiness level", "readiness_label": "Readiness",
           "lead_time_months": "Lead time (months)",
           "next_level_needs": "Next level needs", "cost_to_ready_sek": "Cost to build-ready (SEK)",
           "months_to_ready": "Time to build-ready (months)", "steps_to_ready": "Steps to build-ready",
           "offer_now": "Can be offered now", "parts": "Parts",
           "owners": "Owners", "misses": "What it would take", "_raw": "{label} ({unit})",
           "_value": "{label}: value 0–1", "_points": "{label}: points"},
}

# What can be offered now, when [offer] gives no labels of its own.
OFFER = {
    "sv": {"yes": "Kan erbjudas nu", "no": "Kan inte erbjudas nu"},
    "en": {"yes": "Can be offered now", "no": "Cannot be offered now"},
}

# Relaxations: the smallest changes to a request that give a match.
RELAX = {
    "sv": {"move": "{r} från {a} till {b}", "drop": "utan kravet {r}", "then": "{c}: {n} platser matchar",
           "title": "Så kan förfrågan mötas"},
    "en": {"move": "{r} from {a} to {b}", "drop": "without the {r} requirement", "then": "{c}: {n} sites match",
           "title": "How the request could be met"},
}

# Static maps of the meeting pack.
STATIC = {
    "sv": {"site": "Platsen", "matches": "Matchande platser", "to_interchange": "{d} till trafikplats"},
    "en": {"site": "The site", "matches": "Matching sites", "to_interchange": "{d} to the interchange"},
}

# The path to build-ready: one step with its months and cost.
READINESS = {
    "sv": {"step": "{step} ({m} mån, {c})"},
    "en": {"step": "{step} ({m} months, {c})"},
}

# programme.png: the land programme chart.
PROGRAMME = {
    "sv": {"title": "Markprogram {a}–{b}: {n} platser påbörjas, {c} MSEK",
           "with": "Byggklar mark med programmet",
           "without": "Utan programmet", "target": "Mål: {ha} ha", "short": "Under målet",
           "spend": "Utgifter per år", "spend_axis": "MSEK per år", "stock_axis": "Byggklar mark (ha)"},
    "en": {"title": "Land programme {a}–{b}: {n} sites started, {c} MSEK",
           "with": "Build-ready land with the programme",
           "without": "Without the programme", "target": "Target: {ha} ha", "short": "Below target",
           "spend": "Spend per year", "spend_axis": "MSEK a year", "stock_axis": "Build-ready land (ha)"},
}

# Conditions in words (what the next readiness level needs).
CONDITIONS = {
    "sv": {"needs": "nivå {level} kräver ", "now": ", nu {v}", "or": " eller ", "missing": "saknas",
           "none_in": "inget i lagret", "min_share": "{s} täcker minst {b}", "max_share": "{s} täcker högst {b}",
           "max_distance_m": "{s} inom {b}", "min_distance_m": "{s} minst {b} bort", "equals": "{s} är {b}",
           "not_equals": "{s} är inte {b}", "in": "{s} är {b}", "not_in": "{s} är inte {b}",
           "min": "{s} minst {b}", "max": "{s} högst {b}",
           "max_minutes": "{s} inom {b}"},
    "en": {"needs": "level {level} needs ", "now": ", now {v}", "or": " or ", "missing": "missing",
           "none_in": "none in the layer", "min_share": "{s} covering at least {b}",
           "max_share": "{s} covering at most {b}", "max_distance_m": "{s} within {b}",
           "min_distance_m": "{s} at least {b} away", "equals": "{s} is {b}", "not_equals": "{s} is not {b}",
           "in": "{s} is {b}", "not_in": "{s} is not {b}", "min": "{s} at least {b}", "max": "{s} at most {b}",
           "max_minutes": "{s} within {b}"},
}

# Travel time on the road network: why a site has no value, and the map's rings.
NETWORK = {
    "sv": {"too_far": "för långt från vägnätet: {m}",
           "no_feature": "{layer}: ingen nåbar från platsens del av vägnätet",
           "rings": "Restid till {layer}", "ring": "inom {minutes}", "min": "min"},
    "en": {"too_far": "too far from the road network: {m}",
           "no_feature": "{layer}: none reachable from the site's part of the road network",
           "rings": "Travel time to {layer}", "ring": "within {minutes}", "min": "min"},
}

