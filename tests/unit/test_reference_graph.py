"""The reference layer found in dbt's manifest: built only from seeds and the geography."""

from __future__ import annotations

import json

from assets.warehouse.project import dbt_project
from lagesbild.warehouse.reference_graph import reference_model_files, reference_nodes

GEOGRAPHY = "source.lagesbild.raw.geography_deso"
OFFENCES = "source.lagesbild.raw.offences"


def manifest(parent_map: dict[str, list[str]]) -> dict[str, object]:
    nodes = {
        unique_id: {"original_file_path": f"models/{unique_id.split('.')[-1]}.sql"}
        for unique_id in parent_map
        if not unique_id.startswith("source.")
    }
    return {"nodes": nodes, "parent_map": parent_map}


def test_only_nodes_whose_every_ancestor_is_a_seed_or_the_geography() -> None:
    graph = manifest(
        {
            "seed.p.areas": [],
            GEOGRAPHY: [],
            OFFENCES: [],
            "model.p.stg_geo": [GEOGRAPHY],
            "model.p.dim_area": ["seed.p.areas", "model.p.stg_geo"],
            "test.p.unique_dim_area": ["model.p.dim_area"],
            "model.p.stg_offences": [OFFENCES],
            "model.p.fct": ["model.p.dim_area", "model.p.stg_offences"],
            "test.p.relationships_fct_dim_area": ["model.p.fct", "model.p.dim_area"],
            "test.p.relationships_dim_area_offences": ["model.p.dim_area", "model.p.stg_offences"],
            "model.p.constant": [],
            "model.p.dim_month": ["seed.p.areas"],
            "test.p.windowed": ["model.p.dim_area"],
        }
    )
    graph["nodes"]["model.p.dim_month"]["raw_code"] = "select current_date as month from areas"
    graph["nodes"]["test.p.windowed"]["depends_on"] = {"macros": ["macro.p.month_window_predicate"]}
    assert reference_nodes(graph, frozenset({GEOGRAPHY})) == {
        "seed.p.areas",
        "model.p.stg_geo",
        "model.p.dim_area",
        "test.p.unique_dim_area",
    }
    # the clock or the run's window in the SQL: built every run, whatever it reads
    assert "model.p.dim_month" not in reference_nodes(graph, frozenset({GEOGRAPHY}))
    # without the geography among the reference sources, only the seed and nothing built on it
    assert reference_nodes(graph, frozenset()) == {"seed.p.areas"}


def test_the_project_s_reference_layer() -> None:
    project = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    nodes = reference_nodes(project)
    models = {unique_id.split(".")[-1] for unique_id in nodes if unique_id.startswith("model.")}
    assert models == {
        "stg_geography__deso",
        "int_geography__deso_hierarchy",
        "int_geography__deso_geo_levels",
        "int_geography__area_desos",
        "dim_geography",
        "dim_area_classification",
        "dim_indicator",
    }
    assert sum(unique_id.startswith("seed.") for unique_id in nodes) == 15
    tests = [unique_id for unique_id in nodes if unique_id.startswith("test.")]
    assert tests and not any("fct_indicator_month" in unique_id for unique_id in tests)
    files = reference_model_files(project, nodes)
    assert "models/marts/dim_geography.sql" in files and "models/marts/dim_geography.yml" in files
    assert len(files) == 2 * len(models)
