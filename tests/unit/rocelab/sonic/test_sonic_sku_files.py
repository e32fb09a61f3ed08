"""The SKU data files (rocelab/sonic/skus/*.json): shipped with the package, validated exactly when read.

A malformed file is a packaging bug that would otherwise surface as a wrong buffer figure deep in a twin, so
reading one must fail at once, naming the file and the field.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from rocelab.sonic.sku import SKU_MODULES, Sku, SkuDataError, load_sku, read_sku_file


def _shipped(stem: str) -> dict[str, object]:
    doc: dict[str, object] = json.loads((resources.files("rocelab.sonic.skus") / f"{stem}.json").read_text())
    return doc


def _write(tmp_path: Path, doc: dict[str, object]) -> Path:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_every_sku_has_exactly_one_data_file_in_the_package() -> None:
    files = {p.name for p in resources.files("rocelab.sonic.skus").iterdir() if p.name.endswith(".json")}
    assert files == {f"{stem}.json" for stem in SKU_MODULES.values()}
    for name in SKU_MODULES:
        sku = load_sku(name)
        assert isinstance(sku, Sku)
        assert sku.name == name
        assert len({p.name for p in sku.ports}) == len(sku.ports)  # a port row repeated would hide a real one


def test_a_string_where_a_figure_belongs_names_the_file_and_field(tmp_path: Path) -> None:
    doc = _shipped("acs_sn5600")
    doc["ports"][3]["speed"] = "800000"  # type: ignore[index]
    path = _write(tmp_path, doc)
    with pytest.raises(SkuDataError, match=r"broken\.json.*ports\.3\.speed") as err:
        read_sku_file(path)
    assert str(path) in str(err.value)


def test_an_unknown_field_is_refused_not_ignored(tmp_path: Path) -> None:
    doc = _shipped("force10_s6000")
    doc["default_cabel"] = "5m"
    with pytest.raises(SkuDataError, match=r"default_cabel"):
        read_sku_file(_write(tmp_path, doc))


def test_a_short_lookup_row_is_refused(tmp_path: Path) -> None:
    doc = _shipped("docker_sonic_vs")
    doc["pg_lookup"][0] = [10000, "5m", 56368, 18432, 55120, "-3"]  # type: ignore[index]
    with pytest.raises(SkuDataError, match=r"pg_lookup\.0"):
        read_sku_file(_write(tmp_path, doc))


def test_a_file_declaring_another_sku_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SkuDataError, match=r"declares SKU 'ACS-SN5600', expected 'Force10-S6000'"):
        read_sku_file(_write(tmp_path, _shipped("acs_sn5600")), "Force10-S6000")


def test_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",', encoding="utf-8")
    with pytest.raises(SkuDataError, match=r"broken\.json"):
        read_sku_file(path)
